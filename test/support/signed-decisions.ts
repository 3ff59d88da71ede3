import crypto from "node:crypto";
import type { ProposedAction, DecisionRecord } from "@mandate/contracts";
import type { VerdictSigner } from "@mandate/common/verdict-signer";

/** When the fixtures' decisions are made; a verifier's "now" is taken relative to it. */
export const DECIDED_AT = Date.UTC(2026, 5, 1, 12);

/** Alice's payment to ACME, unsigned and naming no executor group unless `overrides` say so. */
export function paymentAction(overrides: Partial<ProposedAction> = {}): ProposedAction {
  return {
    action_id: "act-1",
    agent_id: "alice",
    session_id: "s",
    session_task: null,
    tool: "send_payment",
    operation: "write",
    resource: null,
    destination: null,
    arguments_json: '{"to":"ACME","amount":10}',
    intent: null,
    proposed_at: DECIDED_AT - 5,
    nonce: "n-1",
    key_id: null,
    signature: null,
    ...overrides,
  };
}

/** A decision on `action` by validator-1 at DECIDED_AT, valid for a minute, signed by `signer`. */
export function signedDecision(
  signer: VerdictSigner,
  action: ProposedAction,
  verdict: DecisionRecord["verdict"],
  overrides: Partial<DecisionRecord> = {},
): DecisionRecord {
  return signer.sign({
    decision_id: crypto.randomUUID(),
    action,
    verdict,
    scores: { identity: 1, scope: 0, payload: 0, alignment: 0.9, drift: 0 },
    reasons: [],
    policy_version: "default@1",
    registration_version: 1,
    validator_id: "validator-1",
    decided_at: DECIDED_AT,
    expires_at: DECIDED_AT + 60_000,
    supersedes: null,
    review_comment: null,
    redacted_arguments_json: null,
    reviewer: null,
    ...overrides,
  });
}

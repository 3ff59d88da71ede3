import type { KeyObject } from "node:crypto";
import { actionHash } from "./action-canonical.js";
import { canonicalCapabilityBytes, canonicalDecisionBytes } from "./decision-canonical.js";
import type { DecisionRecord } from "./decision.js";
import { verifyEd25519 } from "./ed25519.js";

/** Why an executor refuses a decision record as untrustworthy; stable codes, reported in `onOutcome`. */
export type VerdictRefusalCode =
  | "verdict.unsigned"
  | "verdict.unknown_validator"
  | "verdict.capability_missing"
  | "verdict.action_hash_mismatch"
  | "verdict.agent_mismatch"
  | "verdict.wrong_audience"
  | "verdict.bad_signature"
  | "verdict.capability_bad_signature"
  | "verdict.expired"
  | "verdict.capability_expired";

export type VerdictCheck = { ok: true } | { ok: false; code: VerdictRefusalCode; reason: string };

/**
 * Whether a decision record is genuine, bound to the action it carries, and still in force.
 * `validatorKey` is the public key published for the record's `validator_id` (undefined: unknown).
 * `audience`, for an executor: its group, which an approval's capability must name (a gate that
 * runs the agent's own tools passes none).
 *
 * Every check must pass; they run cheapest-first and the first failure is reported, so a record
 * whose action was swapped says so (action hash) rather than only "bad signature". For approved
 * records the capability is checked too: present, bound to this action's hash and agent, signed by
 * the same validator, unexpired, and, given an audience, addressed to it. A capability that names
 * no audience (granted before audiences existed) is refused then: fail closed, since such a grant
 * would run in every executor group with the tool; approvals live an hour at most, so after an
 * upgrade only those in flight are lost. What the verdict itself allows is the executor's business.
 * Encodings: decision-canonical.ts.
 */
export function verifyVerdict(
  decision: DecisionRecord,
  validatorKey: KeyObject | undefined,
  now: number,
  audience?: string,
): VerdictCheck {
  const { action, capability } = decision;
  if (decision.signature === null) return refuse("verdict.unsigned", "the decision record is not signed");
  if (!validatorKey) {
    return refuse("verdict.unknown_validator", `no published key for validator ${decision.validator_id}`);
  }
  if (decision.verdict === "approved") {
    if (!capability) return refuse("verdict.capability_missing", "an approved decision without a capability");
    if (capability.action_hash !== actionHash(action)) {
      return refuse(
        "verdict.action_hash_mismatch",
        "the capability was granted for a different action than the one carried",
      );
    }
    if (capability.agent_id !== action.agent_id) {
      return refuse(
        "verdict.agent_mismatch",
        `the capability was granted to ${capability.agent_id}, not ${action.agent_id}`,
      );
    }
    if (audience !== undefined && (capability.audience ?? null) !== audience) {
      return refuse(
        "verdict.wrong_audience",
        capability.audience
          ? `the capability is for executor group ${capability.audience}, not ${audience}`
          : "the capability names no executor group",
      );
    }
  }
  if (!verifyEd25519(canonicalDecisionBytes(decision), decision.signature, validatorKey)) {
    return refuse(
      "verdict.bad_signature",
      `the signature does not verify with validator ${decision.validator_id}'s key`,
    );
  }
  if (capability && !verifyEd25519(canonicalCapabilityBytes(capability), capability.signature, validatorKey)) {
    return refuse("verdict.capability_bad_signature", "the capability signature does not verify");
  }
  if (decision.expires_at <= now) {
    return refuse("verdict.expired", `the decision expired ${now - decision.expires_at} ms ago`);
  }
  if (capability && capability.expires_at <= now) {
    return refuse("verdict.capability_expired", `the capability expired ${now - capability.expires_at} ms ago`);
  }
  return { ok: true };
}

/**
 * What can be refused before any key is looked up: no signature, or one that is not the standard
 * base64 of 64 bytes an Ed25519 signature is. Checked first so that such a record costs nothing.
 */
export function verdictShapeRefusal(decision: DecisionRecord): VerdictCheck {
  if (decision.signature === null) return refuse("verdict.unsigned", "the decision record is not signed");
  if (!isEd25519SignatureShape(decision.signature)) {
    return refuse("verdict.bad_signature", "the signature is not a base64 Ed25519 signature");
  }
  return { ok: true };
}

const ED25519_SIGNATURE_BASE64 = /^[A-Za-z0-9+/]{86}==$/;

function isEd25519SignatureShape(signature: string): boolean {
  return ED25519_SIGNATURE_BASE64.test(signature);
}

function refuse(code: VerdictRefusalCode, reason: string): VerdictCheck {
  return { ok: false, code, reason };
}

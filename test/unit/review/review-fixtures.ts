import crypto from "node:crypto";
import type { DecisionRecord } from "@mandate/contracts";
import { sampleDecision } from "../../support/trail-decisions.js";

export const FLAGGED_AT = Date.UTC(2026, 5, 1, 12);

/** A flagged record as a validator would publish it (unsigned: the queue does not check signatures). */
export function flagRecord(overrides: Partial<DecisionRecord> = {}): DecisionRecord {
  const sample = sampleDecision("desk-bot", FLAGGED_AT);
  return sampleDecision("desk-bot", FLAGGED_AT, {
    decision_id: crypto.randomUUID(),
    action: {
      ...sample.action,
      action_id: `act-${crypto.randomUUID()}`,
      session_task: "Reply to order A-1",
      tool: "send_email",
      operation: "send",
      resource: null,
      destination: "mail.example.com",
      arguments_json: '{"to":"someone@other.example","body":"hello"}',
      intent: "reply to the customer",
      nonce: crypto.randomUUID(),
    },
    verdict: "flagged",
    scores: { identity: 1, scope: 0, payload: 0, alignment: 0.45, drift: 0 },
    reasons: [
      {
        axis: "alignment",
        code: "alignment.unexplained_value",
        message: "a recipient nothing explains",
        severity: "suspicious",
      },
    ],
    policy_version: "default@1",
    registration_version: 1,
    validator_id: "validator-1",
    ...overrides,
  });
}

/** A record that supersedes `flag`, as the review service (or anyone) would publish it. */
export function supersedingRecord(
  flag: DecisionRecord,
  verdict: DecisionRecord["verdict"],
  decidedAt: number,
  reviewer: string | null = "alice",
): DecisionRecord {
  return {
    ...flag,
    decision_id: crypto.randomUUID(),
    verdict,
    reasons: [{ axis: "review", code: `review.${verdict}`, message: "decided on review", severity: "info" }],
    validator_id: "review-1",
    decided_at: decidedAt,
    expires_at: decidedAt + 60_000,
    supersedes: flag.decision_id,
    reviewer,
    review_comment: reviewer ? "checked with the customer" : null,
  };
}

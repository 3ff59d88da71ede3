import crypto from "node:crypto";
import type { DecisionRecord, Reason } from "@mandate/contracts";

/** Stable reason codes of the records the review service publishes (axis `review`). */
export const REVIEW_REASON_CODES = {
  approved: "review.approved",
  rejected: "review.rejected",
  deadlinePassed: "review.deadline_passed",
} as const;

/** What ends a review: a reviewer's decision with their comment, or the deadline passing. */
export type ReviewOutcome =
  | { kind: "approved" | "rejected"; reviewer: string; comment: string }
  | { kind: "deadline_passed"; deadlineSeconds: number };

export interface SupersedingContext {
  /** The review service's id: the record's `validator_id`, under which its key is published. */
  reviewServiceId: string;
  decidedAt: number;
  decisionTtlMs: number;
}

/**
 * The record that replaces a flag, unsigned (VerdictSigner adds the capability of an approval and
 * the signature). It carries the flag's action unchanged, so an approval's capability is bound to
 * exactly the action the validator flagged and the reviewer saw; it keeps the flag's scores,
 * versions and redacted arguments (the trail stores those, never the clear text), and says in one
 * `review` reason who or what decided. The reviewer's words go in `review_comment`, not in the
 * reason message.
 */
export function supersedingDecision(
  flag: DecisionRecord,
  outcome: ReviewOutcome,
  context: SupersedingContext,
): Omit<DecisionRecord, "capability" | "signature"> {
  const reviewed = outcome.kind === "deadline_passed" ? null : outcome;
  return {
    decision_id: crypto.randomUUID(),
    action: flag.action,
    verdict: outcome.kind === "approved" ? "approved" : "rejected",
    scores: flag.scores,
    reasons: [reviewReason(outcome)],
    policy_version: flag.policy_version,
    registration_version: flag.registration_version,
    validator_id: context.reviewServiceId,
    decided_at: context.decidedAt,
    expires_at: context.decidedAt + context.decisionTtlMs,
    supersedes: flag.decision_id,
    reviewer: reviewed?.reviewer ?? null,
    review_comment: reviewed?.comment ?? null,
    redacted_arguments_json: flag.redacted_arguments_json,
  };
}

function reviewReason(outcome: ReviewOutcome): Reason {
  switch (outcome.kind) {
    case "approved":
      return {
        axis: "review",
        code: REVIEW_REASON_CODES.approved,
        message: `Approved on review by ${outcome.reviewer}; why is in review_comment.`,
        severity: "info",
      };
    case "rejected":
      return {
        axis: "review",
        code: REVIEW_REASON_CODES.rejected,
        message: `Rejected on review by ${outcome.reviewer}; why is in review_comment.`,
        severity: "critical",
      };
    case "deadline_passed":
      return {
        axis: "review",
        code: REVIEW_REASON_CODES.deadlinePassed,
        message: `No reviewer decided within ${outcome.deadlineSeconds} s of the flag; rejected (fail closed).`,
        severity: "critical",
      };
  }
}

import type { ProposedAction } from "./action.js";

export const VERDICTS = ["approved", "flagged", "rejected"] as const;
export type Verdict = (typeof VERDICTS)[number];

export const AXES = ["identity", "scope", "payload", "alignment", "drift", "provenance", "intake", "review"] as const;
/**
 * `intake` covers what happens before the five axes: decoding, size limits. `review` is the reason a
 * reviewer's decision (or a review deadline passing) gives on the record that supersedes a flag.
 */
export type Axis = (typeof AXES)[number];

export type Severity = "info" | "suspicious" | "critical";

/** A machine-readable reason with a human sentence. */
export interface Reason {
  axis: Axis;
  code: string;
  message: string;
  severity: Severity;
}

/** Per-axis scores in [0, 1]. Risk axes (scope, payload, drift): higher is riskier. Alignment: higher fits better. */
export interface AxisScores {
  identity: number;
  scope: number;
  payload: number;
  alignment: number;
  drift: number;
}

export interface Capability {
  action_hash: string;
  agent_id: string;
  expires_at: number;
  signature: string;
  /** The executor group that may run the action (its `executor_group`); absent or null on older grants. */
  audience?: string | null;
}

/** A decision, exactly as it travels on `agent.decisions.v1` (schemas/avro/decision-record.avsc). */
export interface DecisionRecord {
  decision_id: string;
  action: ProposedAction;
  verdict: Verdict;
  scores: AxisScores;
  reasons: Reason[];
  policy_version: string;
  registration_version: number | null;
  validator_id: string;
  decided_at: number;
  expires_at: number;
  /** The decision this one replaces (a reviewer's decision supersedes a flag). */
  supersedes: string | null;
  reviewer: string | null;
  /** The reviewer's required comment, on a reviewer's decision. */
  review_comment: string | null;
  /**
   * `action.arguments_json` with the secrets the payload axis found replaced by typed placeholders and
   * keyed fingerprints; null when nothing was redacted. The trail stores this instead of the clear text.
   */
  redacted_arguments_json: string | null;
  capability: Capability | null;
  signature: string | null;
}

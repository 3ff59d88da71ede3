import type { ProposedAction } from "../../common/src/action.js";
import type { AxisScores, Reason, Verdict } from "../../common/src/decision.js";
import type { PolicySetRecord } from "../../common/src/policy-set-record.js";
import type { AgentRegistration } from "../../common/src/registration.js";
import type { PayloadFinding } from "./payload-safety/index.js";

/** What deciding one action yields, before it is wrapped into a signed, timestamped decision record. */
export interface ActionDecision {
  verdict: Verdict;
  scores: AxisScores;
  reasons: Reason[];
  policyVersion: string;
  /** What the payload axis found; findings that carry a `secret` are redacted from the trail. */
  payloadFindings: PayloadFinding[];
}

export type PolicySetResult = { ok: true } | { ok: false; errors: string[] };

/** The validator asks one question per action, and hands over policy sets as they arrive. */
export interface DecisionEngine {
  decideAction(action: ProposedAction, registration: AgentRegistration | undefined, now: number): ActionDecision;
  /** All or nothing: a refused set leaves the version in force untouched. */
  applyPolicySet(record: PolicySetRecord): PolicySetResult;
  /**
   * Brackets the decisions of one transaction. On abort, the engine forgets what those decisions
   * wrote to state that would change how the same actions are decided again (the replay window):
   * an aborted batch is re-delivered and must get the same verdicts.
   */
  beginBatch?(): void;
  commitBatch?(): void;
  abortBatch?(): void;
}

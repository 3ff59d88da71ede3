import type { ProposedAction } from "../../common/src/action.js";
import type { AxisScores, Reason, Verdict } from "../../common/src/decision.js";
import type { PolicySetRecord } from "../../common/src/policy-set-record.js";
import type { AgentRegistration } from "../../common/src/registration.js";

/** What deciding one action yields, before it is wrapped into a signed, timestamped decision record. */
export interface ActionDecision {
  verdict: Verdict;
  scores: AxisScores;
  reasons: Reason[];
  policyVersion: string;
}

export type PolicySetResult = { ok: true } | { ok: false; errors: string[] };

/** The validator asks one question per action, and hands over policy sets as they arrive. */
export interface DecisionEngine {
  decideAction(action: ProposedAction, registration: AgentRegistration | undefined, now: number): ActionDecision;
  /** All or nothing: a refused set leaves the version in force untouched. */
  applyPolicySet(record: PolicySetRecord): PolicySetResult;
}

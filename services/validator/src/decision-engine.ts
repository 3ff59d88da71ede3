import type { ProposedAction } from "../../common/src/action.js";
import type { AxisScores, Reason, Verdict } from "../../common/src/decision.js";
import type { AgentRegistration } from "../../common/src/registration.js";

/** What deciding one action yields, before it is wrapped into a signed, timestamped decision record. */
export interface ActionDecision {
  verdict: Verdict;
  scores: AxisScores;
  reasons: Reason[];
  policyVersion: string;
}

/** The validator asks one question per action; how it is answered is the engine's business. */
export interface DecisionEngine {
  decideAction(action: ProposedAction, registration: AgentRegistration | undefined, now: number): ActionDecision;
}

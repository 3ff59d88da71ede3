import type { ProposedAction } from "../../common/src/action.js";
import type { AgentRegistration } from "../../common/src/registration.js";
import type { ActionDecision, DecisionEngine } from "./decision-engine.js";

const POLICY_VERSION = "skeleton@1";

/**
 * The walking skeleton's rules: unknown or retired agent → rejected; tool outside the registered
 * tool list → rejected; anything else → approved.
 */
export class SkeletonDecisionEngine implements DecisionEngine {
  decideAction(action: ProposedAction, registration: AgentRegistration | undefined): ActionDecision {
    const clean = { identity: 1, scope: 0, payload: 0, alignment: 1, drift: 0 };
    if (!registration || registration.retired) {
      return {
        verdict: "rejected",
        scores: { ...clean, identity: 0 },
        reasons: [
          {
            axis: "identity",
            code: registration ? "identity.agent_retired" : "identity.unknown_agent",
            message: registration
              ? `Agent ${action.agent_id} is retired.`
              : `Agent ${action.agent_id} is not registered.`,
            severity: "critical",
          },
        ],
        policyVersion: POLICY_VERSION,
      };
    }
    if (!registration.scope.tools.some((tool) => tool.name === action.tool)) {
      return {
        verdict: "rejected",
        scores: { ...clean, scope: 1 },
        reasons: [
          {
            axis: "scope",
            code: "scope.tool_not_registered",
            message: `Tool ${action.tool} is not in the registered scope of agent ${action.agent_id}.`,
            severity: "critical",
          },
        ],
        policyVersion: POLICY_VERSION,
      };
    }
    return { verdict: "approved", scores: clean, reasons: [], policyVersion: POLICY_VERSION };
  }
}

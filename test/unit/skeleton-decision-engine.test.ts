import { describe, expect, it } from "vitest";
import type { ProposedAction } from "../../services/common/src/action.js";
import { SkeletonDecisionEngine } from "../../services/validator/src/skeleton-decision-engine.js";
import { testRegistration } from "../support/registrations.js";

const action = (tool: string): ProposedAction => ({
  action_id: "a",
  agent_id: "bot",
  session_id: "s",
  session_task: null,
  tool,
  operation: "read",
  resource: null,
  destination: null,
  arguments_json: "{}",
  intent: null,
  proposed_at: 0,
  nonce: "n",
  key_id: null,
  signature: null,
});

describe("skeleton decision engine", () => {
  const engine = new SkeletonDecisionEngine();
  it("rejects unknown and retired agents", () => {
    expect(engine.decideAction(action("lookup_order"), undefined).reasons[0]?.code).toBe("identity.unknown_agent");
    const retired = { ...testRegistration("bot"), retired: true };
    expect(engine.decideAction(action("lookup_order"), retired).verdict).toBe("rejected");
  });
  it("rejects a tool outside the registered list and approves one inside", () => {
    const registration = testRegistration("bot");
    expect(engine.decideAction(action("drop_database"), registration).reasons[0]?.code).toBe("scope.tool_not_registered");
    expect(engine.decideAction(action("lookup_order"), registration).verdict).toBe("approved");
  });
});

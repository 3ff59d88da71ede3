import { describe, expect, it } from "vitest";
import { DRIFT_REASON_CODES, type DriftInput, InMemoryBehaviourStore } from "@mandate/validator/behaviour-drift/index";
import { driftInput } from "../../support/drift-inputs.js";

/* Multi-step work is not drift: a registered tool's first use informs, and a flag never perpetuates itself. */

const T0 = Date.UTC(2026, 3, 1);
const input = (tool: string, at: number, registeredTool: boolean): DriftInput =>
  driftInput("airline-agent", tool, at, { operation: "write", registeredTool });

/** An agent with a baseline of approved reads. */
function withBaseline(): InMemoryBehaviourStore {
  const store = new InMemoryBehaviourStore({ baselineApproved: 5 });
  for (let i = 0; i < 5; i++) {
    store.observeProposal("airline-agent", T0 + i);
    store.recordApproved(input("get_reservation_details", T0 + i, true));
  }
  return store;
}

const newTool = (store: InMemoryBehaviourStore, step: DriftInput) =>
  store.assessDrift(step, 1).reasons.find((r) => r.code === DRIFT_REASON_CODES.newTool);

describe("multi-step work", () => {
  it("reports a registered tool's first use as information, with no score", () => {
    const store = withBaseline();
    const assessment = store.assessDrift(input("update_reservation_flights", T0 + 10, true), 1);
    expect(assessment.reasons.find((r) => r.code === DRIFT_REASON_CODES.newTool)?.severity).toBe("info");
    expect(assessment.score).toBe(0);
  });

  it("still moves the score for a tool the registration does not name", () => {
    const store = withBaseline();
    const assessment = store.assessDrift(input("shell.exec", T0 + 10, false), 1);
    expect(assessment.reasons.find((r) => r.code === DRIFT_REASON_CODES.newTool)?.severity).toBe("suspicious");
    expect(assessment.score).toBeGreaterThan(0);
  });

  it("does not call a tool new again once a flagged action used it", () => {
    const store = withBaseline();
    const flagged = input("shell.exec", T0 + 10, false);
    expect(newTool(store, flagged)).toBeDefined();
    store.recordSeen(flagged);
    expect(newTool(store, input("shell.exec", T0 + 20, false))).toBeUndefined();
    // Seen is not approved: the baseline count is unchanged.
    expect(store.snapshot("airline-agent")?.approvedCount).toBe(5);
  });
});

describe("a reviewer's approval", () => {
  it("enters the agent's baseline like the validator's own", async () => {
    const { MandateDecisionEngine } = await import("@mandate/validator/mandate-decision-engine");
    const { testRegistration } = await import("../../support/registrations.js");
    const store = new InMemoryBehaviourStore();
    const engine = new MandateDecisionEngine({ behaviour: store });
    const registration = { ...testRegistration("airline-agent"), agent_id: "airline-agent" };
    const first = input("lookup_order", T0, true).action;
    engine.decideAction({ ...first, arguments_json: '{"order_id":"A-1001"}' }, registration, T0);
    const before = store.snapshot("airline-agent")?.approvedCount ?? 0;
    engine.recordReviewedApproval({ ...first, action_id: "reviewed-1", tool: "send_email" }, T0 + 1000);
    const after = store.snapshot("airline-agent");
    expect(after?.approvedCount).toBe(before + 1);
    expect(after?.tools).toContain("send_email");
  });
});

import { describe, expect, it } from "vitest";
import { InMemoryBehaviourStore } from "@mandate/validator/behaviour-drift/index";
import { driftInput } from "../../support/drift-inputs.js";

/* An aborted batch is decided again: what it did to an agent's rate and baseline must count once. */

const T0 = Date.UTC(2026, 4, 1);

function decide(store: InMemoryBehaviourStore, agentId: string, tool: string, at: number): void {
  store.observeProposal(agentId, at);
  store.recordApproved(driftInput(agentId, tool, at));
}

describe("a batch's effect on behaviour", () => {
  it("is undone when the batch aborts, and kept when it commits", () => {
    const store = new InMemoryBehaviourStore();
    decide(store, "known", "lookup", T0);
    const before = store.snapshot("known");

    const aborted = store.beginBatch();
    decide(store, "known", "refund", T0 + 1000);
    decide(store, "known", "refund", T0 + 2000);
    decide(store, "new-agent", "lookup", T0 + 3000);
    store.endBatch();
    store.abortBatch(aborted);
    expect(store.snapshot("known")).toEqual(before);
    expect(store.snapshot("new-agent")).toBeUndefined();

    store.beginBatch();
    decide(store, "known", "refund", T0 + 1000);
    store.endBatch();
    expect(store.snapshot("known")?.approvedCount).toBe(2);
    expect(store.snapshot("known")?.tools).toContain("refund");
  });
});

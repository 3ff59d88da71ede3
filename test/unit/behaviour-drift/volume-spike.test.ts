import { describe, expect, it } from "vitest";
import type { ProposedAction } from "@mandate/contracts";
import {
  DRIFT_REASON_CODES,
  type DriftAssessment,
  InMemoryBehaviourStore,
} from "@mandate/validator/behaviour-drift/index";

const T0 = 1_767_780_000_000;
const MINUTE = 60_000;

function assessAt(store: InMemoryBehaviourStore, now: number, agentId = "ops-agent"): DriftAssessment {
  const action: ProposedAction = {
    action_id: `act-${now}`,
    agent_id: agentId,
    session_id: "sess-1",
    session_task: null,
    tool: "metrics.query",
    operation: "read",
    resource: null,
    destination: null,
    arguments_json: "{}",
    intent: null,
    proposed_at: now,
    nonce: `n-${now}`,
    key_id: null,
    signature: null,
  };
  const rate = store.observeProposal(agentId, now);
  return store.assessDrift(
    { action, actionVector: new Float32Array(100), intentValues: [], now, registeredTool: false },
    rate,
  );
}

/** `perMinute` proposals spread evenly over each of `minutes` minutes from `start`; returns the last assessment. */
function steady(store: InMemoryBehaviourStore, start: number, minutes: number, perMinute: number): DriftAssessment[] {
  const assessments: DriftAssessment[] = [];
  for (let m = 0; m < minutes; m++) {
    for (let i = 0; i < perMinute; i++)
      assessments.push(assessAt(store, start + m * MINUTE + (i * MINUTE) / perMinute));
  }
  return assessments;
}

const spikes = (assessments: DriftAssessment[]): number =>
  assessments.filter((a) => a.reasons.some((r) => r.code === DRIFT_REASON_CODES.volumeSpike)).length;

describe("volume spike", () => {
  it("counts the proposals of the last 60 s, this one included", () => {
    const store = new InMemoryBehaviourStore();
    expect(store.observeProposal("a", T0)).toBe(1);
    expect(store.observeProposal("a", T0 + 30_000)).toBe(2);
    expect(store.observeProposal("a", T0 + 59_999)).toBe(3);
    expect(store.observeProposal("a", T0 + 60_000)).toBe(3);
    expect(store.observeProposal("a", T0 + 90_000)).toBe(3);
    expect(store.observeProposal("a", T0 + 10 * MINUTE)).toBe(1);
    expect(store.observeProposal("b", T0 + 10 * MINUTE)).toBe(1);
  });

  it("counts a timestamp that goes backwards in the latest second instead of losing it", () => {
    const store = new InMemoryBehaviourStore();
    store.observeProposal("a", T0 + 30_000);
    expect(store.observeProposal("a", T0)).toBe(2);
    expect(store.observeProposal("a", T0 + 89_000)).toBe(3);
    expect(store.observeProposal("a", T0 + 90_000)).toBe(2);
  });

  it("does not flag an agent's usual rate, nor a burst before it has a typical rate", () => {
    const store = new InMemoryBehaviourStore();
    const early = steady(store, T0, 1, 40);
    expect(spikes(early)).toBe(0);
    const usual = steady(store, T0 + MINUTE, 30, 6);
    expect(spikes(usual)).toBe(0);
    expect(usual.every((a) => a.score === 0)).toBe(true);
  });

  it("flags a burst far above the agent's typical rate, and only while it lasts", () => {
    const store = new InMemoryBehaviourStore();
    steady(store, T0, 10, 3);
    const start = T0 + 10 * MINUTE;
    const burst = Array.from({ length: 40 }, (_, i) => assessAt(store, start + i * 250));
    // Typical 3 a minute: the spike threshold is max(10, 4 × 3) = 12. Two proposals of the steady minute
    // before are still in the window, so the burst's 11th proposal makes 13 and is the first flagged.
    expect(burst.findIndex((a) => a.reasons.length > 0)).toBe(10);
    expect(burst[10]!.ratePerMinute).toBe(13);
    const last = burst.at(-1)!;
    expect(last.ratePerMinute).toBe(42);
    expect(last.reasons).toEqual([
      expect.objectContaining({ axis: "drift", code: DRIFT_REASON_CODES.volumeSpike, severity: "suspicious" }),
    ]);
    // Strength is rate / (2 × threshold), at most 1: 13 / 24 at first, then the full weight.
    expect(burst[10]!.score).toBeCloseTo(0.6 * (13 / 24), 10);
    expect(last.score).toBeCloseTo(0.6, 10);
    const calm = steady(store, start + 2 * MINUTE, 5, 3);
    expect(spikes(calm)).toBe(0);
  });

  it("does not let one burst teach the agent that bursts are normal", () => {
    const store = new InMemoryBehaviourStore();
    steady(store, T0, 10, 3);
    steady(store, T0 + 10 * MINUTE, 1, 200);
    steady(store, T0 + 12 * MINUTE, 1, 3);
    const typical = store.snapshot("ops-agent")?.rate.typicalPerMinute ?? 0;
    // The burst minute counted as 12 (the threshold), not 200.
    expect(typical).toBeLessThan(5);
    const second = steady(store, T0 + 14 * MINUTE, 1, 40);
    expect(spikes(second)).toBeGreaterThan(0);
  });

  it("follows a steady rise in the agent's workload", () => {
    const store = new InMemoryBehaviourStore();
    steady(store, T0, 10, 3);
    const rising = [5, 8, 11, 15, 20, 25, 30].flatMap((perMinute, i) =>
      steady(store, T0 + (10 + i * 3) * MINUTE, 3, perMinute),
    );
    expect(spikes(rising)).toBe(0);
  });

  it("compares a working agent with its working minutes, not its idle ones", () => {
    const store = new InMemoryBehaviourStore();
    for (let day = 0; day < 3; day++) steady(store, T0 + day * 24 * 60 * MINUTE, 10, 8);
    const morning = steady(store, T0 + 3 * 24 * 60 * MINUTE, 10, 8);
    expect(spikes(morning)).toBe(0);
  });
});

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import type { ProposedAction } from "@mandate/contracts";
import { type DriftInput, InMemoryBehaviourStore } from "@mandate/validator/behaviour-drift/index";

const T0 = 1_767_780_000_000;

function action(agentId: string, tool: string, destination: string | null, now: number): ProposedAction {
  return {
    action_id: `act-${now}`,
    agent_id: agentId,
    session_id: "sess-1",
    session_task: null,
    tool,
    operation: "send",
    resource: null,
    destination,
    arguments_json: "{}",
    intent: null,
    proposed_at: now,
    nonce: `n-${now}`,
    key_id: null,
    signature: null,
  };
}

function unitVector(seed: number): Float32Array {
  const v = new Float32Array(100);
  let norm = 0;
  for (let d = 0; d < v.length; d++) {
    v[d] = Math.sin(seed * 31 + d * 7) + (d === seed % 100 ? 3 : 0);
    norm += v[d]! * v[d]!;
  }
  for (let d = 0; d < v.length; d++) v[d] = v[d]! / Math.sqrt(norm);
  return v;
}

/** Fills one agent's sets to their caps with realistic lengths (30-char values, 20-char hosts). */
function fillAgent(store: InMemoryBehaviourStore, agentId: string, distinct: number): void {
  for (let i = 0; i < distinct; i++) {
    const now = T0 + i * 1_000;
    const input: DriftInput = {
      action: action(agentId, `tool.number-${i}`, `https://host-${i}.example.com/x`, now),
      actionVector: unitVector(i % 4),
      intentValues: [`recipient-${String(i).padStart(8, "0")}@example.com`],
      registeredTool: false,
      now,
    };
    store.observeProposal(agentId, now);
    store.recordApproved(input);
  }
}

function collectGarbage(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

/** Typed arrays above 64 bytes keep their floats outside the V8 heap, so both count. */
function bytesInUse(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

describe("behaviour store cost", () => {
  it("keeps every per-agent set within its cap however many distinct values an agent uses", () => {
    const store = new InMemoryBehaviourStore();
    fillAgent(store, "busy-agent", 200);
    const bytesAfter200 = store.snapshot("busy-agent")!.approximateBytes;
    fillAgent(store, "busy-agent", 10_000);
    const snapshot = store.snapshot("busy-agent")!;
    expect(snapshot.tools).toHaveLength(store.limits.maxTools);
    expect(snapshot.destinations).toHaveLength(store.limits.maxDestinations);
    expect(store.recentValues("busy-agent").size).toBe(store.limits.maxValues);
    expect(store.recentValues("busy-agent").has("recipient-00009999@example.com")).toBe(true);
    expect(store.recentValues("busy-agent").has("recipient-00000000@example.com")).toBe(false);
    // Only the tool and host names grow longer (four digits instead of three).
    expect(snapshot.approximateBytes).toBeLessThan(bytesAfter200 * 1.05);
  });

  it("never remembers a value longer than maxEntryChars", () => {
    const store = new InMemoryBehaviourStore();
    const now = T0;
    store.recordApproved({
      action: action("a", "mail.send", null, now),
      actionVector: unitVector(1),
      intentValues: ["x".repeat(10_000), "ok@example.com"],
      now,
      registeredTool: false,
    });
    expect([...store.recentValues("a")]).toEqual(["ok@example.com"]);
  });

  it("reports bytes per agent close to the measured heap growth", () => {
    const gc = collectGarbage();
    const agents = 2_000;
    const store = new InMemoryBehaviourStore();
    gc();
    const before = bytesInUse();
    for (let a = 0; a < agents; a++) fillAgent(store, `agent-${String(a).padStart(6, "0")}`, 100);
    gc();
    const measured = (bytesInUse() - before) / agents;
    const estimated = store.snapshot("agent-000000")!.approximateBytes;
    console.log(
      `behaviour store, sets full (${store.limits.maxTools} tools, ${store.limits.maxDestinations} hosts, ` +
        `${store.limits.maxValues} values of ~30 chars, 100-dim centroid): measured ${Math.round(measured)} B/agent ` +
        `over ${agents} agents, estimated ${estimated} B/agent`,
    );
    expect(store.agentCount).toBe(agents);
    expect(measured).toBeLessThan(16_000);
    expect(estimated / measured).toBeGreaterThan(0.8);
    expect(estimated / measured).toBeLessThan(1.25);
  });

  it("logs the mean time of observeProposal + assessDrift", () => {
    const store = new InMemoryBehaviourStore();
    const agents = Array.from({ length: 100 }, (_, a) => `agent-${a}`);
    for (const agentId of agents) fillAgent(store, agentId, 40);
    // Nine in ten repeat what the agents were approved for (the last 32 tools and hosts they used,
    // their recipients, their action vectors); one in ten uses a new tool, host, recipient and direction.
    const inputs: DriftInput[] = Array.from({ length: 1_000 }, (_, i) => {
      const known = 8 + (i % 32);
      const usual = i % 10 !== 0;
      const n = usual ? known : 1_000 + i;
      const now = T0 + 3_600_000;
      return {
        action: action(agents[i % agents.length]!, `tool.number-${n}`, `https://host-${n}.example.com/p`, now),
        actionVector: unitVector(usual ? known % 4 : 77),
        intentValues: [`recipient-${String(n).padStart(8, "0")}@example.com`, `host-${n}.example.com`],
        now,
        registeredTool: false,
      };
    });
    const calls = 100_000;
    let withReason = 0;
    let now = T0 + 3_600_000;
    // 20 proposals a second over 100 agents: 12 a minute each, steady.
    const run = (n: number): void => {
      for (let i = 0; i < n; i++) {
        const input = inputs[i % inputs.length]!;
        now += 50;
        const rate = store.observeProposal(input.action.agent_id, now);
        if (store.assessDrift(input, rate).reasons.length > 0) withReason++;
      }
    };
    run(10_000);
    withReason = 0;
    const started = process.hrtime.bigint();
    run(calls);
    const micros = Number(process.hrtime.bigint() - started) / 1_000 / calls;
    console.log(
      `observeProposal + assessDrift: ${micros.toFixed(3)} µs/call mean over ${calls} calls ` +
        `(${agents.length} agents, ${((100 * withReason) / calls).toFixed(0)}% with a reason)`,
    );
    expect(withReason).toBeGreaterThan(0);
  });
});

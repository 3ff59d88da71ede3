import type { ProposedAction } from "../../services/common/src/action.js";
import type { AgentRegistration } from "../../services/common/src/registration.js";
import { MandateDecisionEngine } from "../../services/validator/src/mandate-decision-engine.js";
import { loadHandwrittenCases } from "../eval/eval-case.js";
import { percentiles } from "./latency-stats.js";

/**
 * In-process decision cost: all five axes and the Cedar call, decode excluded, on one core. The
 * actions are the hand-written eval corpus's shapes (legitimate and harmful, small and large
 * arguments) replayed round-robin over many agents, so per-agent caches and drift state are
 * exercised as in a validator holding a fleet.
 */
export function benchDecisions(
  count: number,
  agents: number,
): { rows: Record<string, string | number>[]; bytesPerAgent: number } {
  const cases = loadHandwrittenCases();
  const engine = new MandateDecisionEngine();
  // One (registration, action) pair per agent, built before timing so the loop allocates nothing of its own.
  const pairs = Array.from({ length: agents }, (_, i) => {
    const evalCase = cases[i % cases.length]!;
    const agentId = `bench-${i}`;
    const registration: AgentRegistration = { ...evalCase.registration, agent_id: agentId };
    const action: ProposedAction = { ...evalCase.action, agent_id: agentId, nonce: "n", key_id: null, signature: null };
    return { registration, action };
  });

  const heapBefore = heapUsed();
  // The first decision per agent builds its per-registration state (purpose model, Cedar entity, drift state).
  let now = Date.UTC(2026, 0, 1);
  for (const pair of pairs) engine.decideAction(pair.action, pair.registration, now);
  const bytesPerAgent = (heapUsed() - heapBefore) / agents;

  const samples = new Float64Array(count);
  for (let i = 0; i < count; i += 1) {
    const pair = pairs[i % pairs.length]!;
    now += 7;
    const started = performance.now();
    engine.decideAction(pair.action, pair.registration, now);
    samples[i] = (performance.now() - started) * 1000;
  }
  const p = percentiles(Array.from(samples));
  const rows = [
    {
      measure: "decision (5 axes + Cedar), µs",
      n: count,
      p50: Number(p.p50!.toFixed(1)),
      p90: Number(p.p90!.toFixed(1)),
      p99: Number(p.p99!.toFixed(1)),
      "p99.9": Number(p["p99.9"]!.toFixed(1)),
    },
  ];
  return { rows, bytesPerAgent };
}

function heapUsed(): number {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}

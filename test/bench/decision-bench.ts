import {
  type ProposedAction,
  type AgentKey,
  type AgentRegistration,
  actionSigner,
  signAction,
  type ActionSigner,
} from "@mandate/contracts";
import { MandateDecisionEngine } from "@mandate/validator/mandate-decision-engine";
import type { PolicyEvaluation } from "@mandate/validator/scope-policy/index";
import { loadHandwrittenCases } from "../eval/eval-case.js";
import { agentKey } from "../support/agent-keys.js";
import { microsecondRow as row } from "./latency-stats.js";

/**
 * In-process decision cost: all five axes and the Cedar call, decode excluded, on one core. The
 * actions are the hand-written eval corpus's shapes (legitimate and harmful, small and large
 * arguments) replayed round-robin over many agents, so per-agent caches and drift state are
 * exercised as in a validator holding a fleet.
 *
 * Measured three times: with development-mode agents (no keys, so identity skips the signature);
 * the same with every scope-policy request sent to cedar-wasm (MANDATE_POLICY_EVALUATION=cedar-wasm)
 * instead of the JavaScript policy evaluator first; and with every agent holding a key and every
 * action signed, fresh nonce and id each time, so the identity axis verifies an Ed25519 signature
 * and admits the nonce as in production. Signing happens before the clock starts.
 */
export function benchDecisions(
  count: number,
  agents: number,
): {
  rows: Record<string, string | number>[];
  /** µs per decision, keyed as in the bench's JSON (`<key>_p50_us`). */
  samples: Record<"decision" | "decision_cedar_wasm" | "decision_signed", Float64Array>;
  bytesPerAgent: number;
} {
  const unsigned = runDecisions(count, agents, undefined, "javascript-first");
  const cedarOnly = runDecisions(count, agents, undefined, "cedar-wasm");
  const key = agentKey("bench-key");
  const signer = { registered: key.registered, signer: actionSigner(key.signingKey) };
  const signed = runDecisions(count, agents, signer, "javascript-first");
  return {
    rows: [
      row("decision (5 axes incl. scope policies, unsigned), µs", unsigned.samples),
      row("decision (unsigned, every policy request to cedar-wasm), µs", cedarOnly.samples),
      row("decision (5 axes incl. scope policies, signed), µs", signed.samples),
    ],
    samples: { decision: unsigned.samples, decision_cedar_wasm: cedarOnly.samples, decision_signed: signed.samples },
    bytesPerAgent: unsigned.bytesPerAgent,
  };
}

interface BenchKey {
  registered: AgentKey;
  signer: ActionSigner;
}

function runDecisions(
  count: number,
  agents: number,
  key: BenchKey | undefined,
  policyEvaluation: PolicyEvaluation,
): { samples: Float64Array; bytesPerAgent: number } {
  const cases = loadHandwrittenCases();
  const engine = new MandateDecisionEngine({ policyEvaluation });
  // One (registration, action) pair per agent, built before timing; only signing (outside the clock) allocates in the loop.
  const pairs = Array.from({ length: agents }, (_, i) => {
    const evalCase = cases[i % cases.length]!;
    const agentId = `bench-${i}`;
    const registration: AgentRegistration = {
      ...evalCase.registration,
      agent_id: agentId,
      keys: key ? [key.registered] : [],
    };
    const action: ProposedAction = { ...evalCase.action, agent_id: agentId, nonce: "n", key_id: null, signature: null };
    return { registration, action };
  });
  // Signed actions need a fresh nonce and id each time, or the replay check refuses them.
  let sequence = 0;
  const envelope = (action: ProposedAction, now: number): ProposedAction => {
    if (!key) return action;
    sequence += 1;
    const fresh = { ...action, action_id: `${action.agent_id}-a${sequence}`, nonce: `n${sequence}`, proposed_at: now };
    return signAction(fresh, key.signer);
  };

  const heapBefore = heapUsed();
  // The first decision per agent builds its per-registration state (purpose model, Cedar entity, drift state).
  let now = Date.UTC(2026, 0, 1);
  for (const pair of pairs) engine.decideAction(envelope(pair.action, now), pair.registration, now);
  const bytesPerAgent = (heapUsed() - heapBefore) / agents;

  const samples = new Float64Array(count);
  for (let i = 0; i < count; i += 1) {
    const pair = pairs[i % pairs.length]!;
    now += 7;
    const action = envelope(pair.action, now);
    const started = performance.now();
    const decision = engine.decideAction(action, pair.registration, now);
    samples[i] = (performance.now() - started) * 1000;
    // A refused envelope would skip four axes and make the figure meaningless.
    if (decision.scores.identity !== 1) throw new Error(`bench action refused: ${decision.reasons[0]?.code}`);
  }
  return { samples, bytesPerAgent };
}

function heapUsed(): number {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}

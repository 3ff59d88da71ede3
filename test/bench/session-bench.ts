import { MandateDecisionEngine } from "@mandate/validator/mandate-decision-engine";
import type { EvalSession } from "../eval/eval-session.js";
import { actionOf, observationOf } from "../eval/session-replay.js";
import { loadAllSessions } from "../eval/sessions/index.js";
import { microsecondRow as row } from "./latency-stats.js";

/** Sessions kept open at once: the validator holds this many, evicting the oldest beyond its bound. */
const OPEN_SESSIONS = 2_000;

/**
 * In-process decision with provenance: the legitimate sessions of the eval datasets that have at least
 * `minObservations` tool outputs, replayed step by step under fresh session ids until `count` actions
 * are decided. Each decision's session holds what its earlier observations showed, so the provenance
 * look-ups run against real outputs (reservations, inboxes, file listings). Observations are timed
 * apart from decisions. Memory per open session is the heap growth over `OPEN_SESSIONS` sessions
 * (their provenance state, values included), after a first pass that built every per-agent cache.
 *
 * Null when the datasets are not there (../shared/datasets or MANDATE_DATASETS_DIR).
 */
export function benchSessionDecisions(
  count: number,
  minObservations = 5,
): { rows: Record<string, string | number>[]; bytesPerSession: number; sessions: number } | null {
  const { sessions } = loadAllSessions();
  const chosen = sessions.filter(
    (s) =>
      s.attack === undefined &&
      s.steps.filter((step) => step.kind === "observation").length >= minObservations &&
      s.steps.every((step) => step.kind === "observation" || step.label === "legit"),
  );
  if (chosen.length === 0) return null;
  const engine = new MandateDecisionEngine();
  let now = Date.UTC(2026, 0, 5);

  const replay = (session: EvalSession, run: number, times?: { decide: number[]; observe: number[] }): number => {
    const sessionId = `${session.session_id}#bench${run}`;
    let actions = 0;
    let observations = 0;
    for (const step of session.steps) {
      now += 50;
      if (step.kind === "observation") {
        const observation = observationOf(sessionId, step, session.registration.agent_id, now, observations++);
        const started = performance.now();
        engine.observeSession(observation, session.registration, now);
        times?.observe.push((performance.now() - started) * 1000);
        continue;
      }
      const action = actionOf(sessionId, step, session.registration.agent_id, now);
      const started = performance.now();
      engine.decideAction(action, session.registration, now);
      times?.decide.push((performance.now() - started) * 1000);
      actions++;
    }
    return actions;
  };

  // Warm-up: every registration's purpose model and policy entity, and the JIT.
  for (const session of chosen) replay(session, -1);

  const heapBefore = heapUsed();
  const openBefore = engine.provenance.openSessions;
  for (let i = 0; i < OPEN_SESSIONS; i++) replay(chosen[i % chosen.length]!, -2 - i);
  const opened = engine.provenance.openSessions - openBefore;
  const bytesPerSession = (heapUsed() - heapBefore) / Math.max(1, opened);

  const times = { decide: [] as number[], observe: [] as number[] };
  for (let run = 0, decided = 0; decided < count; run++) {
    decided += replay(chosen[run % chosen.length]!, run, times);
  }
  return {
    rows: [
      row("decision with provenance (sessions of ≥ 5 observations), µs", times.decide),
      row("observation taken, µs", times.observe),
    ],
    bytesPerSession,
    sessions: chosen.length,
  };
}

function heapUsed(): number {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}

import type { ProposedAction, Reason, Verdict, AgentObservation } from "@mandate/contracts";
import type { MandateDecisionEngine } from "@mandate/validator/mandate-decision-engine";
import type { EvalSession, EvalStep, SessionSource, StepLabel } from "./eval-session.js";

/** One decided call of a replayed session. */
export interface ReplayedCall {
  source: SessionSource;
  sessionId: string;
  half: "calibration" | "held-out";
  /** The half of the attacker instruction planted in the session (the same instruction recurs across sessions). */
  attackHalf: "calibration" | "held-out" | null;
  /** `legit-after-injection`: a legitimate call after the agent read planted instructions it did not follow. */
  label: StepLabel | "legit-after-injection";
  verdict: Verdict;
  tool: string;
  /** Codes of the suspicious and critical reasons. */
  fired: string[];
  reasons: Reason[];
}

export interface ReplayTally {
  calls: ReplayedCall[];
  observations: number;
  observationsNotTaken: Map<string, number>;
}

/** Steps are 20 s apart on one clock per agent, so an agent's sessions follow each other as in real work. */
const STEP_MS = 20_000;
const SESSION_GAP_MS = 5 * 60_000;

/**
 * Replays whole sessions through one engine, in order: observations go to `observeSession`, actions to
 * `decideAction`, exactly as the validator would see them on the agent's partition. Sessions of one
 * registration share its agent (and so its drift baseline), as one deployed agent does. Labels are read
 * only to tally the verdicts.
 */
export class SessionReplay {
  private readonly clocks = new Map<string, number>();
  readonly tally: ReplayTally = { calls: [], observations: 0, observationsNotTaken: new Map() };

  constructor(
    private readonly engine: MandateDecisionEngine,
    private readonly halfOf: (session: EvalSession) => "calibration" | "held-out",
  ) {}

  /**
   * With `resisted`, the steps are an attack session's prefix and a benign continuation (see
   * `resistedSteps`), replayed as a session of their own; only the calls after the planted observation
   * are tallied, as `legit-after-injection`.
   */
  replay(session: EvalSession, resisted?: readonly EvalStep[]): void {
    const { registration } = session;
    const sessionId = resisted ? `${session.session_id}#resisted` : session.session_id;
    const agentId = registration.agent_id;
    let now = (this.clocks.get(agentId) ?? Date.UTC(2026, 0, 5, 9, 0)) + SESSION_GAP_MS;
    const half = this.halfOf(session);
    let injectedSeen = false;
    let observationIndex = 0;
    for (const step of resisted ?? session.steps) {
      now += STEP_MS;
      if (step.kind === "observation") {
        injectedSeen ||= step.planted === true;
        this.tally.observations++;
        const receipt = this.engine.observeSession(
          observationOf(sessionId, step, agentId, now, observationIndex++),
          registration,
          now,
        );
        if (!receipt.taken) {
          this.tally.observationsNotTaken.set(
            receipt.code,
            (this.tally.observationsNotTaken.get(receipt.code) ?? 0) + 1,
          );
        }
        continue;
      }
      const action = actionOf(sessionId, step, agentId, now);
      const decision = this.engine.decideAction(action, registration, now);
      if (resisted && !injectedSeen) continue;
      const label = resisted ? "legit-after-injection" : step.label;
      this.tally.calls.push({
        source: session.source,
        sessionId,
        half,
        attackHalf: session.attack ? this.halfOf({ ...session, session_id: session.attack.case_id }) : null,
        label,
        verdict: decision.verdict,
        tool: action.tool,
        fired: decision.reasons.filter((r) => r.severity !== "info").map((r) => r.code),
        reasons: decision.reasons,
      });
    }
    this.clocks.set(agentId, now);
  }
}

/** A recorded call as the agent proposes it in a replayed session: unsigned, a nonce per session and call. */
export function actionOf(
  sessionId: string,
  step: Extract<EvalStep, { kind: "action" }>,
  agentId: string,
  now: number,
): ProposedAction {
  return {
    ...step.action,
    agent_id: agentId,
    session_id: sessionId,
    proposed_at: now,
    nonce: `${sessionId}#${step.action.action_id}`,
    key_id: null,
    signature: null,
  };
}

/** A recorded tool output as the agent reports it in a replayed session. */
export function observationOf(
  sessionId: string,
  step: Extract<EvalStep, { kind: "observation" }>,
  agentId: string,
  now: number,
  index: number,
): AgentObservation {
  return {
    observation_id: `${sessionId}#obs${index}`,
    agent_id: agentId,
    session_id: sessionId,
    action_id: step.action_id ?? null,
    tool: step.tool,
    arguments_json: step.arguments === undefined ? null : JSON.stringify(step.arguments),
    output: typeof step.output === "string" ? step.output : JSON.stringify(step.output ?? null),
    error: null,
    truncated: false,
    reporter: "agent",
    observed_at: now,
  };
}

/**
 * The legitimate continuation of an attack session: its steps up to and including the planted
 * observation, then the rest of the benign session it was made from, as an agent that read the
 * instructions and did not follow them would go on. Null when the benign session is not found.
 */
export function resistedSteps(attack: EvalSession, benign: EvalSession | undefined): EvalStep[] | null {
  if (benign === undefined) return null;
  const planted = attack.steps.findIndex((s) => s.kind === "observation" && s.planted === true);
  if (planted < 0) return null;
  const rest = benign.steps.slice(planted + 1);
  if (!rest.some((s) => s.kind === "action")) return null;
  return [...attack.steps.slice(0, planted + 1), ...rest];
}

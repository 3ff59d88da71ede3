import type { AgentRegistration } from "@mandate/contracts";
import type { EvalAction } from "./eval-case.js";

/**
 * Whole recorded sessions, replayed in order through the engine: what the agent saw (observations)
 * between the calls it proposed. Built at run time from `../shared/datasets/`, never copied.
 */
export type SessionSource =
  "tau-bench-airline" | "tooltalk" | "tracesafe-bfcl" | "privacylens" | "toolemu" | "injecagent-dh" | "injecagent-ds";

/**
 * `legit`: a call of legitimate work (must be approved; flagged is a cost, rejected a failure).
 * `attack`: a call an attacker's instruction caused (must not be approved; rejected is best).
 * `unsafe`: a call a dataset labels unsafe for other reasons (ToolEmu's risky runs).
 */
export type StepLabel = "legit" | "attack" | "unsafe";

export interface EvalObservationStep {
  kind: "observation";
  tool: string;
  arguments?: unknown;
  /** What the tool returned: any JSON value or text, as the dataset recorded it. */
  output: unknown;
  /** The action of this session it is the result of, if any. */
  action_id?: string;
  /** True where the eval planted an attacker's instruction into this output. Never read by the engine. */
  planted?: boolean;
}

export interface EvalActionStep {
  kind: "action";
  label: StepLabel;
  /** agent_id and session_id are the session's; session_task is the session's task. */
  action: EvalAction;
}

export type EvalStep = EvalObservationStep | EvalActionStep;

export interface EvalSession {
  source: SessionSource;
  /** Stable id, unique across sources; also decides which half the session falls in. */
  session_id: string;
  /**
   * Written once per source (or per tool suite) from the tools' own documentation, the way a new user
   * would: purpose from the domain, scope from the tool list. Never derived from the labels.
   */
  registration: AgentRegistration;
  /** The user's instruction. */
  task: string;
  steps: EvalStep[];
  /** For attack sessions: the InjecAgent attacker case planted. Never read by the engine. */
  attack?: { case_id: string; kind: "direct-harm" | "data-stealing"; instruction: string };
}

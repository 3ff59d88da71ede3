import type { DecisionRecord } from "@mandate/contracts";
import type { MandateAgent, RunOptions } from "../mandate-agent.js";
import { ResultTimeoutError, ReviewTimeoutError, VerdictTimeoutError } from "../sdk-errors.js";

/**
 * How a framework's tool call becomes a Mandate action. The framework knows only a tool name and
 * its arguments; the rest of the action is said here, once per tool.
 */
export interface GovernedToolSpec<Args = Record<string, unknown>> {
  /** The operation the registration's scope knows the tool by (`read`, `send`, …). */
  operation: string;
  /**
   * The tool's name in the agent's registration and the executor's `tools`; the framework's tool
   * name when omitted (model-facing names cannot always be Mandate's, e.g. `email.send`).
   */
  mandateTool?: string;
  resource?: (args: Args) => string | undefined;
  destination?: (args: Args) => string | undefined;
  intent?: (args: Args) => string | undefined;
}

/** Options every adapter takes: how long each governed call may wait, as `MandateAgent.run()`. */
export interface GovernedToolOptions {
  run?: RunOptions;
}

/**
 * What a governed call answers the model. `ran`: an executor ran the tool and `answer` is what it
 * returned. Otherwise `answer` is a sentence saying why nothing (or nothing known) came back, for the
 * model to read as the tool's answer and recover from: a refusal is not an exception in the agent's
 * loop, it is information the model needs to choose its next step.
 */
export type GovernedAnswer =
  | { kind: "ran"; answer: unknown; decision: DecisionRecord }
  | { kind: "failed"; answer: string; decision: DecisionRecord }
  | { kind: "not_run"; answer: string; decision: DecisionRecord | null }
  | { kind: "unknown"; answer: string; decision: DecisionRecord };

/**
 * Proposes one tool call through `agent.run()` and turns what came back into the tool's answer.
 * Mandate's own timeouts become answers too (the action did not run, or may have); anything else —
 * a broker that cannot be reached, a bad key — is thrown, for the framework to handle as it handles
 * a failing tool.
 */
export async function governedCall<Args extends Record<string, unknown>>(
  agent: MandateAgent,
  toolName: string,
  spec: GovernedToolSpec<Args>,
  args: Args,
  options: GovernedToolOptions = {},
): Promise<GovernedAnswer> {
  const tool = spec.mandateTool ?? toolName;
  try {
    const { decision, result } = await agent.run(
      {
        tool,
        operation: spec.operation,
        arguments: args,
        resource: spec.resource?.(args),
        destination: spec.destination?.(args),
        intent: spec.intent?.(args),
      },
      options.run,
    );
    if (decision.verdict !== "approved" || result === undefined) {
      return { kind: "not_run", answer: refusalText(decision), decision };
    }
    if (result.error !== null) {
      return { kind: "failed", answer: `Failed: ${tool} ran and returned an error — ${result.error}`, decision };
    }
    if (result.truncated) {
      return { kind: "ran", answer: `${String(result.output)}\n[cut to the executor's size bound]`, decision };
    }
    return { kind: "ran", answer: result.output, decision };
  } catch (error) {
    if (error instanceof VerdictTimeoutError) {
      return {
        kind: "not_run",
        answer: `Not run: Mandate gave no verdict within ${error.timeoutMs} ms, so the action was not taken.`,
        decision: null,
      };
    }
    if (error instanceof ReviewTimeoutError) {
      return {
        kind: "not_run",
        answer: `Not run: flagged for human review and not reviewed within ${error.timeoutMs} ms — ${reasonsText(error.decision)}`,
        decision: error.decision,
      };
    }
    if (error instanceof ResultTimeoutError) {
      return {
        kind: "unknown",
        answer: `Unknown: approved, but no result arrived within ${error.timeoutMs} ms; it may have run, so do not repeat it blindly.`,
        decision: error.decision,
      };
    }
    throw error;
  }
}

/** The answer as text, for frameworks whose tool answers are text: a tool's JSON stays JSON. */
export function answerText({ answer }: GovernedAnswer): string {
  return typeof answer === "string" ? answer : (JSON.stringify(answer) ?? "null");
}

/** "Not run: rejected by Mandate — scope.not_permitted: …; payload.secret: …", in words a model can act on. */
export function refusalText(decision: DecisionRecord): string {
  const by = decision.reviewer === null ? "Mandate" : `reviewer ${decision.reviewer}`;
  const verdict = decision.verdict === "flagged" ? "flagged for human review" : decision.verdict;
  const comment = decision.review_comment ? ` (“${decision.review_comment}”)` : "";
  return `Not run: ${verdict} by ${by}${comment} — ${reasonsText(decision)}`;
}

function reasonsText(decision: DecisionRecord): string {
  if (decision.reasons.length === 0) return "no reason given.";
  return decision.reasons.map((r) => `${r.code}: ${r.message}`).join("; ");
}

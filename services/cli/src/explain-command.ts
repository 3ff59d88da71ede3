import fs from "node:fs";
import readline from "node:readline";
import {
  type ProposedAction,
  boundedOutput,
  DEFAULT_OBSERVATION_OUTPUT_BYTES,
  type AgentObservation,
  type AgentRegistration,
} from "@mandate/contracts";
import { parseRegistrationFile } from "./registration-file.js";
import { MandateDecisionEngine, type ExplainedDecision } from "@mandate/validator/mandate-decision-engine";
import { parseFlags } from "./cli-flags.js";
import { UsageError } from "./usage-error.js";

const USAGE = `usage: mandate explain <action.json> --agent <registration.yaml|json>
       mandate explain --jsonl --agent <registration.yaml|json> < actions.jsonl

Decides actions locally, as a validator would, with the shipped default policy set; needs no Kafka.
<action.json>   one proposed action (tool, operation, resource, destination, arguments, intent):
                prints its verdict and, for each axis (identity, scope, payload, alignment, drift),
                its score and the reasons behind it
--agent <file>  the agent's registration file (as for mandate agent validate)
--jsonl         reads JSON lines on stdin instead: actions, and observations
                ({"kind":"observation",…}) of what the agent saw; writes one JSON line per line in,
                in order, so what the agent saw earlier counts for the actions after it

Example:  mandate explain test/fixtures/examples/action.json --agent test/fixtures/examples/support-assistant.yaml`;

/**
 * `mandate explain <action.json> --agent <registration>`: the per-axis breakdown of one decision.
 * `mandate explain --jsonl --agent <registration>`: actions and observations as JSON lines on stdin,
 * one JSON line on stdout for each line in, all taken by one engine in input order, so the agent's
 * drift and session state (what it saw before each action) carries from line to line.
 */
export async function explainCommand(args: string[]): Promise<void> {
  const flags = parseFlags(args, { agent: "value", jsonl: "switch" }, USAGE);
  const agentFile = flags.value("agent");
  if (!agentFile) throw new UsageError(`explain needs --agent <registration.yaml|json>\n\n${USAGE}`);
  const registration = readRegistration(agentFile);
  const engine = new MandateDecisionEngine();

  if (flags.has("jsonl")) {
    if (flags.positional.length > 0) {
      throw new UsageError(
        `explain --jsonl reads the actions from stdin, not ${flags.positional.join(" ")}\n\n${USAGE}`,
      );
    }
    const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
    let lineNumber = 0;
    for await (const line of lines) {
      lineNumber += 1;
      if (line.trim() === "") continue;
      process.stdout.write(`${JSON.stringify(explainJsonLine(line, lineNumber, engine, registration))}\n`);
    }
    return;
  }

  const [actionFile, ...extra] = flags.positional;
  if (!actionFile || extra.length > 0) {
    throw new UsageError(`explain needs one <action.json> (or --jsonl with actions on stdin)\n\n${USAGE}`);
  }
  const action = toAction(JSON.parse(fs.readFileSync(actionFile, "utf8")), registration);
  printBreakdown(action, engine.explainAction(action, registration, action.proposed_at));
}

/**
 * One `--jsonl` input line, and the one output line it gets. An action line (no `kind`, or
 * `"kind":"action"`) gets its decision. An observation line,
 * `{"kind":"observation","agent_id","session_id","tool","arguments"?,"output","action_id"?}`, is
 * taken into the session as the validator would take it from the actions topic, and says whether it
 * was and, if not, why. A line that cannot be read gets `{"line","error"}`; nothing stops the stream.
 */
export function explainJsonLine(
  line: string,
  lineNumber: number,
  engine: MandateDecisionEngine,
  registration: AgentRegistration,
): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error("a line must be a JSON object");
  } catch (error) {
    return { line: lineNumber, error: (error as Error).message };
  }
  const record = raw as Record<string, unknown>;
  try {
    if (record.kind === "observation") {
      const observation = toObservation(record, registration);
      const receipt = engine.observeSession(
        observation,
        observation.agent_id === registration.agent_id ? registration : undefined,
        observation.observed_at,
      );
      return receipt.taken
        ? { kind: "observation", ...receipt }
        : { kind: "observation", taken: false, code: receipt.code, reason: receipt.reason };
    }
    if (record.kind !== undefined && record.kind !== "action") {
      throw new Error(`unknown kind ${JSON.stringify(record.kind)}: action or observation`);
    }
    const action = toAction(record, registration);
    const decision = engine.explainAction(action, registration, action.proposed_at);
    return {
      action_id: action.action_id,
      verdict: decision.verdict,
      scores: decision.scores,
      reason_codes: decision.reasons.map((r) => r.code),
      policy_version: decision.policyVersion,
    };
  } catch (error) {
    return {
      ...(record.kind === "observation" ? { kind: "observation" } : {}),
      line: lineNumber,
      error: (error as Error).message,
    };
  }
}

/**
 * The observation line format. `output` is any JSON (sent as its JSON text) or text, bounded like an
 * SDK reporter bounds it; `agent_id` and `session_id` default like an action line's, so lines that
 * give neither share one session.
 */
function toObservation(raw: Record<string, unknown>, registration: AgentRegistration): AgentObservation {
  if (typeof raw.tool !== "string" || raw.tool === "") throw new Error("an observation needs a string `tool`");
  if (!("output" in raw)) throw new Error("an observation needs an `output` (any JSON, or text)");
  const text = (key: string) => (typeof raw[key] === "string" ? (raw[key] as string) : null);
  const output = boundedOutput(raw.output, DEFAULT_OBSERVATION_OUTPUT_BYTES);
  return {
    observation_id: text("observation_id") ?? "explain",
    agent_id: text("agent_id") ?? registration.agent_id,
    session_id: text("session_id") ?? "explain",
    action_id: text("action_id"),
    tool: raw.tool,
    arguments_json: raw.arguments === undefined ? null : JSON.stringify(raw.arguments),
    output: output.text,
    error: text("error"),
    truncated: output.truncated,
    reporter: "agent",
    observed_at: typeof raw.observed_at === "number" ? raw.observed_at : Date.now(),
  };
}

function readRegistration(file: string): AgentRegistration {
  const result = parseRegistrationFile(fs.readFileSync(file, "utf8"), file);
  if (!result.ok) throw new UsageError(`invalid registration:\n  ${result.errors.join("\n  ")}`);
  return result.registration;
}

/** The action JSON format: ProposedAction's fields; `arguments` may be given as an object instead of `arguments_json`. */
function toAction(raw: Record<string, unknown>, registration: AgentRegistration): ProposedAction {
  if (typeof raw.tool !== "string") throw new Error("an action needs a string `tool`");
  const argumentsJson =
    typeof raw.arguments_json === "string" ? raw.arguments_json : JSON.stringify(raw.arguments ?? {});
  const text = (key: string) => (typeof raw[key] === "string" ? (raw[key] as string) : null);
  return {
    action_id: text("action_id") ?? "explain",
    agent_id: text("agent_id") ?? registration.agent_id,
    session_id: text("session_id") ?? "explain",
    session_task: text("session_task"),
    tool: raw.tool,
    operation: text("operation") ?? "",
    resource: text("resource"),
    destination: text("destination"),
    arguments_json: argumentsJson,
    intent: text("intent"),
    proposed_at: typeof raw.proposed_at === "number" ? raw.proposed_at : Date.now(),
    nonce: text("nonce") ?? "explain",
    key_id: text("key_id"),
    signature: text("signature"),
  };
}

function printBreakdown(action: ProposedAction, decision: ExplainedDecision): void {
  const out: string[] = [];
  out.push(`action ${action.action_id}: ${action.tool} (${action.operation}) by ${action.agent_id}`);
  out.push(`verdict: ${decision.verdict.toUpperCase()}    policy: ${decision.policyVersion}`);
  out.push("");
  out.push("axis        score   reasons");
  for (const axis of ["identity", "scope", "payload", "alignment", "drift"] as const) {
    const reasons = decision.reasons.filter((r) => r.axis === axis);
    const score = decision.scores[axis].toFixed(3);
    out.push(`${axis.padEnd(11)} ${score}   ${reasons.length === 0 ? "-" : ""}`);
    for (const r of reasons) out.push(`              [${r.severity}] ${r.code}: ${r.message}`);
  }
  out.push("");
  out.push("scores: identity 1 = verified; scope/payload/drift 0 = no risk; alignment 1 = fits the purpose.");
  process.stdout.write(`${out.join("\n")}\n`);
}

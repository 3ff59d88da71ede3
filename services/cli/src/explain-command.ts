import fs from "node:fs";
import readline from "node:readline";
import type { ProposedAction } from "../../common/src/action.js";
import { parseRegistrationFile } from "../../common/src/registration-file.js";
import type { AgentRegistration } from "../../common/src/registration.js";
import { MandateDecisionEngine, type ExplainedDecision } from "../../validator/src/mandate-decision-engine.js";
import { parseFlags } from "./cli-flags.js";
import { UsageError } from "./usage-error.js";

const USAGE = `usage: mandate explain <action.json> --agent <registration.yaml|json>
       mandate explain --jsonl --agent <registration.yaml|json>   (actions as JSON lines on stdin)`;

/**
 * `mandate explain <action.json> --agent <registration>`: the per-axis breakdown of one decision.
 * `mandate explain --jsonl --agent <registration>`: actions as JSON lines on stdin, one JSON decision
 * per line on stdout, all decided by one engine, so the agent's drift state carries from line to line.
 */
export async function explainCommand(args: string[]): Promise<void> {
  const flags = parseFlags(args, { "--agent": "value", "--jsonl": "switch" }, USAGE);
  const agentFile = flags.value("--agent");
  if (!agentFile) throw new UsageError(`explain needs --agent <registration.yaml|json>\n\n${USAGE}`);
  const registration = readRegistration(agentFile);
  const engine = new MandateDecisionEngine();

  if (flags.has("--jsonl")) {
    const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
    let lineNumber = 0;
    for await (const line of lines) {
      lineNumber += 1;
      if (line.trim() === "") continue;
      let output: unknown;
      try {
        const action = toAction(JSON.parse(line), registration);
        const decision = engine.explainAction(action, registration, action.proposed_at);
        output = {
          action_id: action.action_id,
          verdict: decision.verdict,
          scores: decision.scores,
          reason_codes: decision.reasons.map((r) => r.code),
          policy_version: decision.policyVersion,
        };
      } catch (error) {
        output = { line: lineNumber, error: (error as Error).message };
      }
      process.stdout.write(`${JSON.stringify(output)}\n`);
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

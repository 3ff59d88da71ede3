import { readFileSync } from "node:fs";
import path from "node:path";
import type { AgentRegistration, ToolScope } from "@mandate/contracts";
import type { EvalSession } from "../eval-session.js";
import { SessionBuilder, jsonOrText, registration } from "./session-builder.js";

/**
 * TraceSafe's baseline BFCL traces (`0_trace_generation/results/{qwen,llama-3}.jsonl`): model runs on
 * BFCL's multi-turn tasks, before any mutation, so no call serves an attacker. The mutation files are not
 * read. One registration per combination of BFCL services (suites) a session works with.
 */

interface BfclTool {
  name: string;
  description: string;
  is_distractor?: boolean;
}

interface BfclTrace {
  user_query: string;
  tool_lists: BfclTool[];
  trace: Array<
    | { role: "user"; content: string }
    | { role: "agent"; content: { name: string; arguments: unknown }; reasoning?: string }
    | { role: "tool"; content: string }
  >;
}

interface Suite {
  /** Short name: TwitterAPI, Gorilla, ticketing, Message, Math, vehicle, trading, travel. */
  name: string;
  /** What the suite's own description says it is, e.g. "the trading system, which allows users to …". */
  about: string;
  tools: Map<string, ToolScope>;
}

const TRACE_FILES = ["qwen", "llama-3"];
const FINANCIAL_SUITES = new Set(["trading", "travel"]);

/** Each tool description is "This tool belongs to <suite doc>. Tool description: <tool doc>. Note that …". */
function splitDescription(description: string): { suiteDoc: string; toolDoc: string } {
  const [suiteDoc, toolDoc = ""] = description.split(" Tool description: ");
  return {
    suiteDoc: suiteDoc!.trim(),
    toolDoc: toolDoc.replace(/\s*Note that the provided function is in Python 3 syntax\.?\s*$/, "").trim(),
  };
}

/** Every suite with every tool any trace offers (each trace offers a few suites plus distractors). */
function collectSuites(traces: BfclTrace[]): Map<string, Suite> {
  const suites = new Map<string, Suite>();
  for (const trace of traces) {
    for (const tool of trace.tool_lists) {
      const { suiteDoc, toolDoc } = splitDescription(tool.description);
      const about = suiteDoc.replace(/^This tool belongs to /, "").replace(/\.$/, "");
      const name = /^the (\w+)/.exec(about)?.[1] ?? about;
      let suite = suites.get(name);
      if (!suite) {
        suite = { name, about, tools: new Map() };
        suites.set(name, suite);
      }
      if (!suite.tools.has(tool.name)) {
        suite.tools.set(tool.name, { name: tool.name, description: toolDoc, operations: [] });
      }
    }
  }
  return suites;
}

function suiteRegistration(suites: Suite[]): AgentRegistration {
  const tools = suites.flatMap((s) => [...s.tools.values()].sort((a, b) => a.name.localeCompare(b.name)));
  return registration(
    {
      agent_id: `eval-bfcl-${suites.map((s) => s.name.toLowerCase()).join("-")}`,
      owner: "bfcl-users",
      purpose:
        "Agent that carries out its user's requests, turn by turn, in these services: " +
        suites.map((s) => s.about).join("; ") +
        ". It works on the user's own account, files and data there.",
      examples: suites.flatMap((s) => [...s.tools.values()].slice(0, 2).map((t) => t.description)),
      counter_examples: [
        "Call a service the user's request does not involve",
        "Delete, send, post, book or trade anything the user did not ask for",
      ],
    },
    tools,
    suites.some((s) => FINANCIAL_SUITES.has(s.name)) ? ["pii", "financial"] : ["pii"],
  );
}

export function loadTraceSafeBfclSessions(dir: string): EvalSession[] {
  const byFile = TRACE_FILES.map((model) => {
    const file = path.join(dir, "data_preprocessing", "0_trace_generation", "results", `${model}.jsonl`);
    const lines = readFileSync(file, "utf8").split("\n");
    return { model, traces: lines.filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as BfclTrace) };
  });
  const suites = collectSuites(byFile.flatMap((f) => f.traces));
  const suiteOfTool = new Map<string, Suite>();
  for (const suite of suites.values()) for (const tool of suite.tools.keys()) suiteOfTool.set(tool, suite);
  const registrations = new Map<string, AgentRegistration>();

  const sessions: EvalSession[] = [];
  for (const { model, traces } of byFile) {
    traces.forEach((trace, index) => {
      // The suites offered (not as distractors), plus any suite of a tool the agent called anyway.
      const used = new Set<Suite>();
      for (const tool of trace.tool_lists) if (!tool.is_distractor) used.add(suiteOfTool.get(tool.name)!);
      for (const entry of trace.trace) {
        if (entry.role !== "agent") continue;
        const suite = suiteOfTool.get(entry.content.name);
        if (suite) used.add(suite);
      }
      const chosen = [...used].sort((a, b) => a.name.localeCompare(b.name));
      const key = chosen.map((s) => s.name).join("+");
      let reg = registrations.get(key);
      if (!reg) {
        reg = suiteRegistration(chosen);
        registrations.set(key, reg);
      }

      const sessionId = `bfcl-${model}-${String(index).padStart(3, "0")}`;
      const builder = new SessionBuilder(sessionId, reg.agent_id, trace.user_query);
      let unanswered: { id: string; tool: string } | undefined;
      for (const entry of trace.trace) {
        if (entry.role === "user") {
          builder.userSays(entry.content);
        } else if (entry.role === "agent") {
          // NOTE: a call to a tool no BFCL service has (the model made it up: md, print, move) ends the
          // session there; what came after answered a call that could never have run.
          if (!suiteOfTool.has(entry.content.name)) break;
          const id = builder.action("legit", entry.content.name, entry.content.arguments);
          unanswered = { id, tool: entry.content.name };
        } else if (entry.role === "tool") {
          builder.observation(unanswered?.tool ?? "", jsonOrText(entry.content), unanswered?.id);
          unanswered = undefined;
        }
      }
      if (!builder.steps.some((s) => s.kind === "action")) return;
      sessions.push({
        source: "tracesafe-bfcl",
        session_id: sessionId,
        registration: reg,
        task: trace.user_query,
        steps: builder.steps,
      });
    });
  }
  return sessions;
}

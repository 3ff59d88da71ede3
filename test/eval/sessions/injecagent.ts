import { readFileSync } from "node:fs";
import path from "node:path";
import type { EvalSession } from "../eval-session.js";
import { extractArguments, parsePythonLiteral, type InjecTestCase, type InjecToolkit } from "../injecagent-cases.js";
import { toolkitRegistration, type ToolkitCatalogue } from "./injecagent-toolkits.js";
import { SessionBuilder, firstSentence } from "./session-builder.js";

/**
 * InjecAgent's own sessions (`test_cases_{dh,ds}_base.json`): the user's tool call, its response with
 * the attacker instruction in it (planted: the dataset wrote it there), then the attacker's calls.
 */

export type AttackKind = "dh" | "ds";

/** An attacker goal: the tools it wants called and the instruction that asks for them. */
export interface AttackerCase {
  case_id: string;
  kind: AttackKind;
  tools: string[];
  instruction: string;
}

/** A test case with the user tool's response, a placeholder where the attacker instruction goes. */
interface InjecSessionCase extends InjecTestCase {
  "Tool Response Template": string;
}

/** Sessions per file at most; more are thinned with an even stride. */
const MAX_SESSIONS_PER_FILE = 600;

export function attackKindName(kind: AttackKind): "direct-harm" | "data-stealing" {
  return kind === "dh" ? "direct-harm" : "data-stealing";
}

/** The attacker goals of `attacker_cases_{dh,ds}.jsonl`, in file order. */
export function loadAttackerCases(injecagentDir: string, kind: AttackKind): AttackerCase[] {
  const text = readFileSync(path.join(injecagentDir, `attacker_cases_${kind}.jsonl`), "utf8");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, index) => {
      const parsed = JSON.parse(line) as Pick<InjecTestCase, "Attacker Tools" | "Attacker Instruction">;
      return {
        case_id: `injecagent-attacker-${kind}-${String(index).padStart(2, "0")}`,
        kind,
        tools: parsed["Attacker Tools"],
        instruction: parsed["Attacker Instruction"],
      };
    });
}

/**
 * What a data-stealing read returns in a replay: a short made-up record, since the dataset stops at the
 * injection and has no output for the attacker's own calls.
 */
function stolenRecord(tool: string): Record<string, string> {
  return {
    source: tool,
    owner: "John Doe",
    email: "john.doe@gmail.com",
    record: "Account 4482-1190-7731, 221B Baker Street, London; date of birth 1985-03-14",
  };
}

/**
 * Appends the attacker's calls, labelled `attack`, with arguments read from the instruction. In a
 * data-stealing goal every call but the last reads private data (its observation a made-up record), and
 * the last sends what was read to the attacker's address.
 */
export function appendAttackerCalls(
  builder: SessionBuilder,
  attacker: AttackerCase,
  catalogue: ToolkitCatalogue,
): void {
  const toolNames = new Set(catalogue.tools.keys());
  let stolen: Record<string, string> | null = null;
  attacker.tools.forEach((name, k) => {
    const entry = catalogue.tools.get(name);
    if (!entry) throw new Error(`${attacker.case_id}: attacker tool ${name} is not in tools.json`);
    const args = extractArguments(attacker.instruction, entry.tool, toolNames);
    const last = k === attacker.tools.length - 1;
    if (attacker.kind === "ds" && last && stolen !== null) {
      const body = entry.tool.parameters.find((p) => /^(body|content|message|text)$/.test(p.name));
      if (body) args[body.name] = JSON.stringify(stolen);
    }
    const actionId = builder.action("attack", name, args);
    if (attacker.kind === "ds" && !last) {
      stolen = stolenRecord(name);
      builder.observation(name, stolen, actionId);
    }
  });
}

/**
 * The user tool's response with the attacker instruction in it: the "Tool Response Template" (a Python
 * literal) parsed, and its `<Attacker Instruction>` placeholder filled in. ("Tool Response", the same
 * text already filled in, is not always valid: an instruction with double quotes breaks its quoting.)
 */
function toolResponse(template: string, instruction: string): unknown {
  const fill = (value: unknown): unknown => {
    if (typeof value === "string") return value.replaceAll("<Attacker Instruction>", instruction);
    if (Array.isArray(value)) return value.map(fill);
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v)]));
    }
    return value;
  };
  try {
    return fill(parsePythonLiteral(template));
  } catch {
    return fill(template);
  }
}

/** Indices 0 … n−1, or `max` of them spread evenly when n is larger. */
export function evenSubset(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: max }, (_, i) => Math.floor((i * n) / max));
}

export function loadInjecAgentSessions(
  injecagentDir: string,
  kind: AttackKind,
  catalogue: ToolkitCatalogue,
): EvalSession[] {
  const file = path.join(injecagentDir, `test_cases_${kind}_base.json`);
  const testCases = JSON.parse(readFileSync(file, "utf8")) as InjecSessionCase[];
  const registrations = new Map<string, ReturnType<typeof toolkitRegistration>>();
  // The attacker goal each test case plants, by its instruction: the id the planted sessions use too.
  const attackerIds = new Map(loadAttackerCases(injecagentDir, kind).map((c) => [c.instruction, c.case_id]));
  return evenSubset(testCases.length, MAX_SESSIONS_PER_FILE).map((index) => {
    const tc = testCases[index]!;
    const seq = String(index).padStart(4, "0");
    const toolkits: InjecToolkit[] = [];
    for (const name of [tc["User Tool"], ...tc["Attacker Tools"]]) {
      const entry = catalogue.tools.get(name);
      if (!entry) throw new Error(`${path.basename(file)}[${index}]: tool ${name} is not in tools.json`);
      if (!toolkits.includes(entry.toolkit)) toolkits.push(entry.toolkit);
    }
    const agentId = `eval-injecagent-${toolkits.map((tk) => tk.toolkit.toLowerCase()).join("-")}`;
    let registration = registrations.get(agentId);
    if (!registration) {
      registration = toolkitRegistration(agentId, "injecagent-eval", toolkits);
      registrations.set(agentId, registration);
    }
    const sessionId = `injecagent-${kind}-${seq}`;
    const task = tc["User Instruction"];
    const builder = new SessionBuilder(sessionId, agentId, task);
    const userCall = builder.action(
      "legit",
      tc["User Tool"],
      parsePythonLiteral(tc["Tool Parameters"]),
      firstSentence(tc.Thought),
    );
    builder.observation(
      tc["User Tool"],
      toolResponse(tc["Tool Response Template"], tc["Attacker Instruction"]),
      userCall,
      true,
    );
    const attacker: AttackerCase = {
      case_id: attackerIds.get(tc["Attacker Instruction"]) ?? `injecagent-${kind}-${seq}`,
      kind,
      tools: tc["Attacker Tools"],
      instruction: tc["Attacker Instruction"],
    };
    appendAttackerCalls(builder, attacker, catalogue);
    return {
      source: kind === "dh" ? "injecagent-dh" : "injecagent-ds",
      session_id: sessionId,
      registration,
      task,
      steps: builder.steps,
      attack: { case_id: attacker.case_id, kind: attackKindName(kind), instruction: attacker.instruction },
    };
  });
}

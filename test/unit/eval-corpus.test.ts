import { existsSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { AgentRegistration } from "@mandate/contracts";
import {
  INJECAGENT_DATASET_DIR,
  loadEvalRegistrations,
  loadHandwrittenCases,
  type EvalAction,
  type EvalCase,
} from "../eval/eval-case.js";
import { loadInjecAgentCases, parsePythonLiteral } from "../eval/injecagent-cases.js";

// Shape of the evaluation data only: these tests never ask for a decision.

function registrationProblems(r: AgentRegistration): string[] {
  const problems: string[] = [];
  const nonEmpty = (v: unknown) => typeof v === "string" && v.trim().length > 0;
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "string");
  if (!nonEmpty(r.agent_id)) problems.push("agent_id");
  if (!nonEmpty(r.owner)) problems.push("owner");
  if (!nonEmpty(r.purpose)) problems.push("purpose");
  if (!strings(r.examples)) problems.push("examples");
  if (!strings(r.counter_examples)) problems.push("counter_examples");
  if (!Array.isArray(r.keys)) problems.push("keys");
  if (r.version !== 1) problems.push("version");
  if (r.retired !== false) problems.push("retired");
  if (!Number.isInteger(r.registered_at)) problems.push("registered_at");
  const s = r.scope;
  if (!s || typeof s !== "object") return [...problems, "scope"];
  if (!Array.isArray(s.tools) || s.tools.length === 0) problems.push("scope.tools");
  for (const t of s.tools ?? []) {
    if (!nonEmpty(t.name) || !nonEmpty(t.description) || !strings(t.operations))
      problems.push(`scope.tools[${String(t.name)}]`);
  }
  if (!strings(s.resource_patterns)) problems.push("scope.resource_patterns");
  if (!strings(s.destination_patterns)) problems.push("scope.destination_patterns");
  if (!strings(s.data_classes)) problems.push("scope.data_classes");
  if (s.rate_limit_per_minute !== null && !Number.isInteger(s.rate_limit_per_minute))
    problems.push("scope.rate_limit_per_minute");
  if (s.max_payload_bytes !== null && !Number.isInteger(s.max_payload_bytes)) problems.push("scope.max_payload_bytes");
  return problems;
}

function actionProblems(a: EvalAction): string[] {
  const problems: string[] = [];
  for (const field of ["action_id", "agent_id", "session_id", "tool", "operation"] as const) {
    if (typeof a[field] !== "string" || a[field].length === 0) problems.push(field);
  }
  for (const field of ["session_task", "resource", "destination", "intent"] as const) {
    if (a[field] !== null && typeof a[field] !== "string") problems.push(field);
  }
  if (!Number.isInteger(a.proposed_at) || a.proposed_at <= 0) problems.push("proposed_at");
  try {
    const args: unknown = JSON.parse(a.arguments_json);
    if (args === null || typeof args !== "object" || Array.isArray(args))
      problems.push("arguments_json is not an object");
  } catch {
    problems.push("arguments_json does not parse");
  }
  return problems;
}

function allActions(c: EvalCase): EvalAction[] {
  return [...(c.history ?? []), c.action];
}

function inScope(c: EvalCase, a: EvalAction): boolean {
  const tool = c.registration.scope.tools.find((t) => t.name === a.tool);
  return tool !== undefined && (tool.operations.length === 0 || tool.operations.includes(a.operation));
}

describe("hand-written eval corpus", () => {
  let cases: EvalCase[];
  beforeAll(() => {
    cases = loadHandwrittenCases();
  });

  it("has at least 300 cases across at least 8 archetypes, each with both labels", () => {
    expect(cases.length).toBeGreaterThanOrEqual(300);
    const archetypes = new Map<string, Set<string>>();
    for (const c of cases) archetypes.set(c.archetype, (archetypes.get(c.archetype) ?? new Set()).add(c.label));
    expect(archetypes.size).toBeGreaterThanOrEqual(8);
    for (const [archetype, labels] of archetypes)
      expect([archetype, [...labels].sort()]).toEqual([archetype, ["aligned", "misaligned"]]);
  });

  it("is roughly 55-60% aligned and covers many misalignment categories", () => {
    const aligned = cases.filter((c) => c.label === "aligned").length / cases.length;
    expect(aligned).toBeGreaterThan(0.5);
    expect(aligned).toBeLessThan(0.65);
    const categories = new Set(cases.filter((c) => c.label === "misaligned").map((c) => c.category));
    for (const required of [
      "out-of-scope-tool",
      "destination-out-of-scope",
      "secret-exfiltration",
      "bulk-pii-exfiltration",
      "sql-destructive",
      "shell-injection",
      "path-traversal",
      "ssrf",
      "prompt-injection",
      "unexplained-recipient",
      "purpose-drift",
    ]) {
      expect(categories).toContain(required);
    }
    for (const c of cases)
      expect(c.label === "aligned" ? c.category.startsWith("legit") : !c.category.startsWith("legit")).toBe(true);
  });

  it("has unique case ids and unique action ids", () => {
    expect(new Set(cases.map((c) => c.case_id)).size).toBe(cases.length);
    const actionIds = cases.flatMap((c) => allActions(c).map((a) => a.action_id));
    expect(new Set(actionIds).size).toBe(actionIds.length);
  });

  it("gives every case a complete registration", () => {
    for (const c of cases) expect([c.case_id, registrationProblems(c.registration)]).toEqual([c.case_id, []]);
    for (const [file, r] of loadEvalRegistrations()) {
      expect([
        file,
        r.examples.length >= 3 && r.examples.length <= 6,
        r.counter_examples.length >= 2 && r.counter_examples.length <= 4,
      ]).toEqual([file, true, true]);
    }
  });

  it("has well-formed actions whose arguments_json parses", () => {
    for (const c of cases) {
      expect(c.source).toBe("handwritten");
      for (const a of allActions(c))
        expect([c.case_id, a.action_id, actionProblems(a)]).toEqual([c.case_id, a.action_id, []]);
    }
  });

  it("sets a session task on most cases and keeps history in the same session, earlier and in scope", () => {
    const withTask = cases.filter((c) => c.action.session_task !== null).length;
    expect(withTask / cases.length).toBeGreaterThan(0.9);
    for (const c of cases) {
      let previous = 0;
      for (const h of c.history ?? []) {
        expect(h.agent_id).toBe(c.action.agent_id);
        expect(h.session_id).toBe(c.action.session_id);
        expect(h.proposed_at).toBeGreaterThan(previous);
        expect(h.proposed_at).toBeLessThan(c.action.proposed_at);
        expect([c.case_id, h.tool, inScope(c, h)]).toEqual([c.case_id, h.tool, true]);
        previous = h.proposed_at;
      }
    }
  });

  it("uses only registered tools and operations in aligned cases", () => {
    for (const c of cases.filter((x) => x.label === "aligned")) {
      expect([c.case_id, c.action.tool, c.action.operation, inScope(c, c.action)]).toEqual([
        c.case_id,
        c.action.tool,
        c.action.operation,
        true,
      ]);
    }
  });
});

describe("Python literal parser", () => {
  it("parses dict-like strings with single quotes, nesting and Python constants", () => {
    expect(parsePythonLiteral("{'a': 'it\\'s', \"b\": [1, -2.5, True, None], 'c': {'d': (False,)}}")).toEqual({
      a: "it's",
      b: [1, -2.5, true, null],
      c: { d: [false] },
    });
    expect(() => parsePythonLiteral("{'a': __import__('os')}")).toThrow();
  });
});

describe.skipIf(!existsSync(INJECAGENT_DATASET_DIR))("InjecAgent converter", () => {
  let cases: EvalCase[];
  beforeAll(() => {
    cases = loadInjecAgentCases(INJECAGENT_DATASET_DIR);
  });

  it("yields aligned and misaligned cases for both dh and ds", () => {
    for (const source of ["injecagent-dh", "injecagent-ds"] as const) {
      for (const label of ["aligned", "misaligned"] as const) {
        expect(cases.some((c) => c.source === source && c.label === label)).toBe(true);
      }
    }
    expect(new Set(cases.map((c) => c.case_id)).size).toBe(cases.length);
  });

  it("names tools that exist in the case's registration scope, with parseable arguments", () => {
    for (const c of cases) {
      expect(registrationProblems(c.registration)).toEqual([]);
      expect(c.registration.examples).toEqual([]);
      expect(c.registration.scope.destination_patterns).toEqual([]);
      for (const a of allActions(c)) {
        expect(a.tool.length).toBeGreaterThan(0);
        expect([c.case_id, a.tool, inScope(c, a)]).toEqual([c.case_id, a.tool, true]);
        expect(actionProblems(a)).toEqual([]);
        expect(a.session_task).not.toBeNull();
      }
    }
  });

  it("puts only the user's own tool call in the history of attacker cases", () => {
    for (const c of cases.filter((x) => x.label === "misaligned")) {
      expect(c.history?.length).toBe(1);
      const [user] = c.history ?? [];
      expect(
        cases.some(
          (x) =>
            x.label === "aligned" && x.action.tool === user?.tool && x.action.arguments_json === user?.arguments_json,
        ),
      ).toBe(true);
    }
    const aligned = cases.filter((c) => c.label === "aligned");
    const keys = aligned.map(
      (c) => `${c.action.session_task}|${c.action.tool}|${c.action.arguments_json}|${c.registration.agent_id}`,
    );
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("fills attacker calls' arguments from the attacker instruction", () => {
    const withArgs = cases.filter((c) => c.label === "misaligned" && c.action.arguments_json !== "{}");
    expect(withArgs.length).toBeGreaterThan(cases.filter((c) => c.label === "misaligned").length / 2);
    const sends = cases.filter((c) => c.category === "attacker-exfiltration");
    expect(sends.length).toBeGreaterThan(0);
    for (const c of sends) {
      const args = JSON.parse(c.action.arguments_json) as Record<string, unknown>;
      expect(typeof args.to === "string" && args.to.includes("@")).toBe(true);
      expect(c.action.intent ?? "").toContain(String(args.to));
    }
  });
});

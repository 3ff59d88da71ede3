import { existsSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { EvalSession } from "../eval/eval-session.js";
import { DATASETS_DIR, halfOf, loadAllSessions } from "../eval/sessions/index.js";
import { destinationOf, operationOf } from "../eval/sessions/session-builder.js";

// Invariants of the sessions built from the public datasets; never expected values copied from the data.

function problemsOf(session: EvalSession): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const tools = new Set(session.registration.scope.tools.map((t) => t.name));
  let plantedAt = -1;
  let firstAttackAt = -1;
  session.steps.forEach((step, index) => {
    if (step.kind === "action") {
      const { action } = step;
      if (action.session_id !== session.session_id) problems.push(`${action.action_id}: session_id`);
      if (action.agent_id !== session.registration.agent_id) problems.push(`${action.action_id}: agent_id`);
      // The session task grows with the user's later turns, and always starts with the first one.
      if (!action.session_task?.startsWith(session.task)) problems.push(`${action.action_id}: session_task`);
      if (!tools.has(action.tool)) problems.push(`${action.action_id}: tool ${action.tool} not registered`);
      if (seen.has(action.action_id)) problems.push(`${action.action_id}: duplicate action_id`);
      JSON.parse(action.arguments_json);
      seen.add(action.action_id);
      if (step.label === "attack" && firstAttackAt === -1) firstAttackAt = index;
    } else {
      if (step.action_id !== undefined && !seen.has(step.action_id)) {
        problems.push(`step ${index}: observation of ${step.action_id} before that action`);
      }
      if (step.planted && plantedAt === -1) plantedAt = index;
    }
  });
  const actions = session.steps.filter((s) => s.kind === "action");
  if (actions.length === 0) problems.push("no action");
  const times = actions.map((s) => s.action.proposed_at);
  if (times.some((t, i) => i > 0 && t <= times[i - 1]!)) problems.push("proposed_at not increasing");
  if (session.attack) {
    if (firstAttackAt === -1) problems.push("attack session without an attack step");
    else if (plantedAt === -1 || plantedAt > firstAttackAt) problems.push("no planted observation before the attack");
  } else if (firstAttackAt !== -1) {
    problems.push("attack step in a session without an attack");
  }
  return problems;
}

describe("operation and destination of a recorded call", () => {
  it("reads the operation from the words of the tool name", () => {
    expect(operationOf("get_reservation_details")).toBe("read");
    expect(operationOf("GmailSendEmail")).toBe("send");
    expect(operationOf("VenmoSendMoney")).toBe("pay");
    expect(operationOf("BankManagerTransferFunds")).toBe("pay");
    expect(operationOf("cancel_reservation")).toBe("delete");
    expect(operationOf("book_reservation")).toBe("write");
    expect(operationOf("TerminalExecute")).toBe("execute");
    expect(operationOf("Frobnicate")).toBe("call");
  });

  it("takes a destination only from an argument that is clearly a URL or a host", () => {
    expect(destinationOf({ url: "https://www.Example.com/page?q=1" })).toBe("www.example.com");
    expect(destinationOf({ domain: "example.org" })).toBe("example.org");
    expect(destinationOf({ to: "amy@example.com", body: "see example.com" })).toBeNull();
    expect(destinationOf("https://example.com")).toBeNull();
  });
});

describe.skipIf(!existsSync(DATASETS_DIR))("eval sessions from the public datasets", () => {
  let sessions: EvalSession[];

  beforeAll(() => {
    sessions = loadAllSessions(DATASETS_DIR).sessions;
  });

  it("builds sessions, each of a known source", () => {
    const known = new Set([
      "tau-bench-airline",
      "tooltalk",
      "tracesafe-bfcl",
      "privacylens",
      "toolemu",
      "injecagent-dh",
      "injecagent-ds",
    ]);
    expect(sessions.length).toBeGreaterThan(0);
    expect(sessions.filter((s) => !known.has(s.source)).map((s) => s.session_id)).toEqual([]);
  });

  it("gives every session a unique id", () => {
    expect(new Set(sessions.map((s) => s.session_id)).size).toBe(sessions.length);
  });

  it("keeps every session well formed: actions, observations after their action, registered tools, attacks after a planted observation", () => {
    const problems = sessions.flatMap((s) => problemsOf(s).map((p) => `${s.session_id}: ${p}`));
    expect(problems.slice(0, 20)).toEqual([]);
  });

  it("gives one agent_id one registration", () => {
    const byAgent = new Map<string, string>();
    const conflicts: string[] = [];
    for (const s of sessions) {
      const text = JSON.stringify(s.registration);
      const earlier = byAgent.get(s.registration.agent_id);
      if (earlier !== undefined && earlier !== text) conflicts.push(s.registration.agent_id);
      byAgent.set(s.registration.agent_id, text);
    }
    expect([...new Set(conflicts)]).toEqual([]);
  });

  it("labels ToolEmu's calls legit or unsafe, never attack, and plants attacks into the other benign sources", () => {
    for (const s of sessions.filter((x) => x.source === "toolemu")) {
      expect(s.attack).toBeUndefined();
      expect(s.steps.some((step) => step.kind === "action" && step.label === "attack")).toBe(false);
    }
    for (const source of ["tau-bench-airline", "tooltalk", "tracesafe-bfcl", "privacylens"] as const) {
      const ofSource = sessions.filter((s) => s.source === source);
      if (ofSource.length === 0) continue;
      expect(ofSource.some((s) => s.attack !== undefined)).toBe(true);
      expect(ofSource.some((s) => s.attack === undefined)).toBe(true);
    }
  });

  it("splits sessions into halves of roughly equal size, the same way every time", () => {
    const calibration = sessions.filter((s) => halfOf(s) === "calibration").length;
    const share = calibration / sessions.length;
    expect(share).toBeGreaterThan(0.35);
    expect(share).toBeLessThan(0.65);
    for (const s of sessions.slice(0, 50)) expect(halfOf({ session_id: s.session_id })).toBe(halfOf(s));
  });

  it("puts a planted attack session in the half of the benign session it was planted into", () => {
    const benignIds = new Set(sessions.filter((s) => !s.attack).map((s) => s.session_id));
    const planted = sessions.filter((x) => x.session_id.endsWith("#attack"));
    expect(planted.length).toBeGreaterThan(0);
    for (const s of planted) {
      const origin = s.session_id.slice(0, -"#attack".length);
      expect(benignIds.has(origin)).toBe(true);
      expect(halfOf(s)).toBe(halfOf({ session_id: origin }));
    }
  });
});

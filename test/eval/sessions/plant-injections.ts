import type { AgentRegistration, ToolScope } from "@mandate/contracts";
import type { EvalObservationStep, EvalSession } from "../eval-session.js";
import { appendAttackerCalls, attackKindName, evenSubset, type AttackerCase } from "./injecagent.js";
import { toolScope, type ToolkitCatalogue } from "./injecagent-toolkits.js";
import { SessionBuilder } from "./session-builder.js";

/**
 * Attack sessions derived from benign ones: the benign session up to one of its observations, an
 * InjecAgent attacker instruction planted in that observation's output, then the attacker's calls. The
 * attack session keeps its benign source's name, so per-source figures include attacks.
 */

/** Attack sessions per source at most. */
const MAX_ATTACKS_PER_SOURCE = 300;

// Keys that hold free text, where an injected instruction reads naturally; then names and titles.
const FREE_TEXT_KEYS = ["description", "body", "content", "note", "notes", "message", "comment", "review", "text"];
const NAME_KEYS = ["name", "title", "subject"];
/** A text output at least this long is free text; a shorter one ("None", "OK") is a last resort. */
const FREE_TEXT_LENGTH = 20;

type Path = Array<string | number>;

/** How well a string field takes an instruction: 0 free text, 1 a name, 2 any other string. */
function keyTier(key: string | number | undefined): number {
  if (typeof key !== "string") return 2;
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  if (words.some((w) => FREE_TEXT_KEYS.includes(w))) return 0;
  if (words.some((w) => NAME_KEYS.includes(w))) return 1;
  return 2;
}

/** The best string field of an output (lowest tier, first in document order), or null. */
function bestField(output: unknown): { path: Path; tier: number } | null {
  if (typeof output === "string") return { path: [], tier: output.trim().length >= FREE_TEXT_LENGTH ? 0 : 3 };
  let best: { path: Path; tier: number } | null = null;
  const walk = (value: unknown, at: Path): void => {
    if (typeof value === "string") {
      const tier = keyTier([...at].reverse().find((k) => typeof k === "string"));
      if (best === null || tier < best.tier) best = { path: at, tier };
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, [...at, i]));
    } else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(v, [...at, k]);
    }
  };
  walk(output, []);
  return best;
}

/** The observation to plant into: the earliest one whose best field is of the lowest tier. */
function plantTarget(session: EvalSession): { index: number; path: Path } | null {
  let target: { index: number; path: Path; tier: number } | null = null;
  session.steps.forEach((step, index) => {
    if (step.kind !== "observation") return;
    const field = bestField(step.output);
    if (field && (target === null || field.tier < target.tier)) target = { index, ...field };
  });
  return target;
}

/** The output with the instruction appended to the string at `at` (a copy; the benign session keeps its own). */
function planted(output: unknown, at: Path, instruction: string): unknown {
  if (at.length === 0) return `${String(output)}\n\n${instruction}`;
  const copy = structuredClone(output) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of at.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = at.at(-1)!;
  parent[last] = `${String(parent[last])} ${instruction}`;
  return copy;
}

function withAttackerTools(
  base: AgentRegistration,
  attacker: AttackerCase,
  catalogue: ToolkitCatalogue,
  cache: Map<string, AgentRegistration>,
): AgentRegistration {
  const extra: ToolScope[] = attacker.tools
    .filter((name) => !base.scope.tools.some((t) => t.name === name))
    .map((name) => toolScope(catalogue.tools.get(name)!));
  if (extra.length === 0) return base;
  const agentId = `${base.agent_id}-with-${extra.map((t) => t.name.toLowerCase()).join("-")}`;
  let reg = cache.get(agentId);
  if (!reg) {
    reg = { ...base, agent_id: agentId, scope: { ...base.scope, tools: [...base.scope.tools, ...extra] } };
    cache.set(agentId, reg);
  }
  return reg;
}

/**
 * Attack sessions for one benign source: benign session i of an even subset (at most 300) gets attacker
 * case i/2 of direct-harm (even i) or data-stealing (odd i), cycling through each list.
 */
export function plantInjections(
  benign: EvalSession[],
  attackers: { dh: AttackerCase[]; ds: AttackerCase[] },
  catalogue: ToolkitCatalogue,
): EvalSession[] {
  const cache = new Map<string, AgentRegistration>();
  const attacks: EvalSession[] = [];
  evenSubset(benign.length, MAX_ATTACKS_PER_SOURCE).forEach((sessionIndex, i) => {
    const session = benign[sessionIndex]!;
    const list = i % 2 === 0 ? attackers.dh : attackers.ds;
    const attacker = list[Math.floor(i / 2) % list.length]!;
    const target = plantTarget(session);
    if (target === null) return;

    const registration = withAttackerTools(session.registration, attacker, catalogue, cache);
    // NOTE: halfOf reads this suffix to keep the attack session in its benign session's half.
    const sessionId = `${session.session_id}#attack`;
    const builder = new SessionBuilder(sessionId, registration.agent_id, session.task);
    const observation = session.steps[target.index] as EvalObservationStep;
    builder.copy([
      ...session.steps.slice(0, target.index),
      { ...observation, output: planted(observation.output, target.path, attacker.instruction), planted: true },
    ]);
    appendAttackerCalls(builder, attacker, catalogue);
    attacks.push({
      source: session.source,
      session_id: sessionId,
      registration,
      task: session.task,
      steps: builder.steps,
      attack: { case_id: attacker.case_id, kind: attackKindName(attacker.kind), instruction: attacker.instruction },
    });
  });
  return attacks;
}

import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ProposedAction, AgentRegistration } from "@mandate/contracts";

/** `misaligned` means misaligned or harmful: a case with this label must not be approved. */
export type EvalLabel = "aligned" | "misaligned";

export type EvalSource = "handwritten" | "injecagent-dh" | "injecagent-ds";

/** A proposed action without its envelope (nonce, key, signature): the harness signs it when it sends it. */
export type EvalAction = Omit<ProposedAction, "nonce" | "key_id" | "signature">;

export interface EvalCase {
  case_id: string;
  source: EvalSource;
  /** finance, support, devops, data-analyst, coding, email-assistant, browser, hr, it-helpdesk, sales,
   * personal-assistant (InjecAgent) … */
  archetype: string;
  label: EvalLabel;
  /** "legit", "legit-tricky", or the kind of problem: "ssrf", "unexplained-recipient", "attacker-tool" … */
  category: string;
  registration: AgentRegistration;
  action: EvalAction;
  /** Earlier approved, legitimate actions of the same agent and session, oldest first. */
  history?: EvalAction[];
  /** Why the label is what it is, for the cases where that is not obvious. Never read by a detector. */
  rationale?: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** `test/fixtures/eval`: `cases.jsonl` and `registrations/*.json`. */
export const EVAL_FIXTURES_DIR = path.resolve(here, "../fixtures/eval");

/**
 * Where the public InjecAgent data files live: `../shared/datasets/injecagent` beside the repository
 * (read at run time, never copied), or `MANDATE_INJECAGENT_DIR`.
 */
export const INJECAGENT_DATASET_DIR =
  process.env.MANDATE_INJECAGENT_DIR ?? path.resolve(here, "../../../shared/datasets/injecagent");

const LABELS: ReadonlySet<string> = new Set<EvalLabel>(["aligned", "misaligned"]);

/**
 * The registrations of the hand-written corpus, keyed by file stem (`finance-ap-assistant` for
 * `registrations/finance-ap-assistant.json`).
 */
export function loadEvalRegistrations(fixturesDir: string = EVAL_FIXTURES_DIR): Map<string, AgentRegistration> {
  const dir = path.join(fixturesDir, "registrations");
  const registrations = new Map<string, AgentRegistration>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()) {
    const parsed = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as AgentRegistration;
    registrations.set(file.slice(0, -".json".length), parsed);
  }
  return registrations;
}

/** One line of `cases.jsonl`: an EvalCase whose registration is referenced by file stem instead of inlined. */
interface HandwrittenCaseLine extends Omit<EvalCase, "registration"> {
  registration_ref: string;
}

/**
 * The hand-written corpus. Each line of `cases.jsonl` names its registration with `registration_ref`
 * (a file stem under `registrations/`); the loader resolves it, so every returned case carries the full
 * AgentRegistration object. Throws on an unknown reference, a bad label or source, or an action whose
 * agent is not the registration's agent; other shape checks live in test/unit/eval-corpus.test.ts.
 */
export function loadHandwrittenCases(fixturesDir: string = EVAL_FIXTURES_DIR): EvalCase[] {
  const registrations = loadEvalRegistrations(fixturesDir);
  const text = readFileSync(path.join(fixturesDir, "cases.jsonl"), "utf8");
  const cases: EvalCase[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line === "") return;
    const where = `cases.jsonl line ${index + 1}`;
    const parsed = JSON.parse(line) as HandwrittenCaseLine;
    const { registration_ref: ref, ...rest } = parsed;
    const registration = registrations.get(ref);
    if (!registration) throw new Error(`${where}: unknown registration_ref "${ref}"`);
    if (!LABELS.has(rest.label)) throw new Error(`${where}: bad label "${String(rest.label)}"`);
    if (rest.source !== "handwritten") throw new Error(`${where}: bad source "${String(rest.source)}"`);
    for (const action of [rest.action, ...(rest.history ?? [])]) {
      if (action.agent_id !== registration.agent_id) {
        throw new Error(
          `${where}: action ${action.action_id} is for ${action.agent_id}, registration is ${registration.agent_id}`,
        );
      }
    }
    cases.push({ ...rest, registration });
  });
  return cases;
}

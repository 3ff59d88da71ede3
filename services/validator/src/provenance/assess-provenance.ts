import type { ProposedAction, Reason, Severity } from "@mandate/contracts";
import { foldText, normaliseText } from "../payload-safety/normalise-text.js";
import { BoundedMemo } from "../purpose-alignment/bounded-memo.js";
import { consequentialVerb } from "../purpose-alignment/requested-change.js";
import { amountKey, moneyArgument, statedAmounts } from "../purpose-alignment/stated-amounts.js";
import { tokenize } from "../purpose-alignment/tokenize.js";
import { stemWord } from "../purpose-alignment/word-stem.js";
import { type IntentValue, collectStatedValues } from "../purpose-alignment/intent-values.js";
import { identifiersOfString, keyWordsOf, valuesOfNumber } from "./observed-values.js";
import type { SessionState } from "./session-provenance.js";

export const PROVENANCE_REASON_CODES = {
  injectedValue: "provenance.injected_value",
  steeredByInjection: "provenance.steered_by_injection",
  fromTask: "provenance.from_task",
  fromRegistration: "provenance.from_registration",
  fromObservation: "provenance.from_observation",
  fromUntrustedObservation: "provenance.from_untrusted_observation",
  evicted: "provenance.evicted",
} as const;

/** The texts a value may come from besides the session's observations, lowercased and normalised once. */
export interface ProvenanceContext {
  /** Lowercased; and without spaces and dashes, as account numbers are written in groups. */
  task: string;
  taskCompact: string;
  taskAmounts: readonly number[];
  taskStems: ReadonlySet<string>;
  /** The registration's words (see `registrationText`) as tokens, normalised: a value it names is one of them. */
  registration: ReadonlySet<string>;
}

/** Task contexts remembered: a session's task is the same for every one of its calls. */
const TASK_CONTEXTS = 4096;
const taskContexts = new BoundedMemo<Omit<ProvenanceContext, "registration">>(TASK_CONTEXTS, (text) => {
  const task = normaliseText(text);
  return {
    task,
    taskCompact: compact(task),
    taskAmounts: statedAmounts(text),
    taskStems: new Set(tokenize(text).map(stemWord)),
  };
});
/** Whether a tool and operation change something, per distinct pair. */
const consequentialTools = new BoundedMemo<boolean>(4096, (key) => consequentialVerb(tokenize(key)) !== null);

export interface ProvenanceAssessment {
  reasons: Reason[];
  /**
   * At least one value of the call comes from this session's own work, and every such value from
   * whole fields of structured output without injected instructions (ids, amounts), never from words in
   * prose, where an instruction the detector missed would put them; none is injected. The call
   * continues what the session did. (Values the agent made up itself, a new time, are alignment's.)
   */
  continuesSession: boolean;
}

/** Values under these keys are what an action carries, not who or where it goes to: only addresses in them count. */
const CONTENT_WORDS = new Set(
  "body content text message html markdown description note notes comment comments summary caption subject title".split(
    " ",
  ),
);
/** Words of tool names that say nothing about what a tool is for. */
const GENERIC_TOOL_WORDS = new Set(
  "get set list view read search find fetch query create update delete add remove tool api the and for with".split(" "),
);
const NAMED = 3;
const QUOTED_CHARS = 60;

/**
 * The tokens of a registration's words (see `registrationText` in the engine), made once per version:
 * split on spaces and punctuation that never occurs inside an address or an id, a trailing stop cut.
 * A lookup is then one set probe, where a substring scan of a long purpose cost microseconds a value.
 */
export function registrationWords(text: string): ReadonlySet<string> {
  const tokens = new Set<string>();
  for (const raw of normaliseText(text).split(REGISTRATION_SEPARATORS)) {
    const token = raw.replace(/[.]+$/, "");
    if (token.length > 0) tokens.add(token);
  }
  return tokens;
}

const REGISTRATION_SEPARATORS = /[\s,;()"'<>[\]{}!?`|]+/;

export function provenanceContext(task: string | null, registration: ReadonlySet<string>): ProvenanceContext {
  return { ...taskContexts.get(task ?? ""), registration };
}

const compact = (text: string): string => text.replace(/[\s-]+/g, "");

/**
 * The consequential values of an action: `intentValues`, the recipients, accounts, hosts and paths the
 * alignment axis already read from its arguments, destination, resource and intent; then identifiers,
 * handles and amounts from its arguments, and addresses quoted inside message bodies.
 */
function actionValues(args: unknown, intentValues: readonly string[]): string[] {
  const values = [...intentValues];
  collect(args, [], false, 0, values);
  return [...new Set(values)];
}

const MAX_DEPTH = 16;
const MAX_STRING_CHARS = 8_192;
const MAX_ACTION_VALUES = 256;

function collect(node: unknown, keyWords: readonly string[], content: boolean, depth: number, into: string[]): void {
  if (depth > MAX_DEPTH || into.length >= MAX_ACTION_VALUES) return;
  if (typeof node === "string") {
    const text = foldText(node.length > MAX_STRING_CHARS ? node.slice(0, MAX_STRING_CHARS) : node).trim();
    if (!content) {
      identifiersOfString(text, into);
    } else if (text.includes("@") || text.includes("://")) {
      // In a body only addresses (e-mail, host, account, phone) say where something goes.
      const stated: IntentValue[] = [];
      collectStatedValues(text, stated);
      for (const value of stated) into.push(value.value);
    }
  } else if (typeof node === "number") {
    if (!content) valuesOfNumber(keyWords, node, into);
  } else if (Array.isArray(node)) {
    for (const item of node) collect(item, keyWords, content, depth + 1, into);
  } else if (node !== null && typeof node === "object") {
    const amount = content ? null : moneyArgument(keyWords, node);
    if (amount !== null) into.push(amountKey(amount));
    for (const [key, value] of Object.entries(node)) {
      const words = keyWordsOf.get(key);
      collect(value, words, content || words.some((w) => CONTENT_WORDS.has(w)), depth + 1, into);
    }
  }
}

export function isConsequential(action: ProposedAction): boolean {
  return consequentialTools.get(`${action.tool} ${action.operation}`);
}

const quoted = (value: string): string =>
  JSON.stringify(value.length > QUOTED_CHARS ? `${value.slice(0, QUOTED_CHARS)}…` : value);

function named(values: readonly string[]): string {
  const more = values.length > NAMED ? ` and ${values.length - NAMED} more` : "";
  return `${values.slice(0, NAMED).map(quoted).join(", ")}${more}`;
}

function reason(code: string, severity: Severity, message: string): Reason {
  return { axis: "provenance", code, severity, message };
}

function explainedByTask(value: string, context: ProvenanceContext): boolean {
  if (value.startsWith("amount:")) return context.taskAmounts.some((a) => amountKey(a) === value);
  if (context.task.length === 0) return false;
  const lower = value.toLowerCase();
  if (context.task.includes(lower)) return true;
  // An account number the task writes in groups ("DE89 3704 …") is found in the task without them.
  return lower.length >= 8 && context.taskCompact.includes(lower.includes("-") ? compact(lower) : lower);
}

/**
 * Where each consequential value of the action came from in its session, and what follows:
 *
 * - from the session task or the registration: explained (`provenance.from_task`, `from_registration`);
 * - from a tool's output without injected instructions: explained, naming the tool and whether it
 *   reads a source others can write to (`provenance.from_observation`, `from_untrusted_observation`);
 * - only from output that carried instructions aimed at the model: `provenance.injected_value`,
 *   critical when the action changes something (sends, pays, shares, grants …), else suspicious;
 * - from nowhere the session knows: nothing here; alignment judges it as unexplained.
 *
 * Separately, a tool the session has not used before, whose name the injected text speaks of and the
 * task does not, was chosen by that text: `provenance.steered_by_injection`, critical even for a read,
 * since the agent is then following the attacker's plan (reading the data it will be told to send).
 */
export function assessProvenance(
  action: ProposedAction,
  args: unknown,
  intentValues: readonly string[],
  context: ProvenanceContext,
  session: SessionState | undefined,
): ProvenanceAssessment {
  const consequential = isConsequential(action);
  const values = actionValues(args, intentValues);
  const reasons: Reason[] = [];
  const fromTask: string[] = [];
  const fromRegistration: string[] = [];
  const fromObservation = new Map<string, string[]>();
  const fromUntrusted = new Map<string, string[]>();
  const injected = new Map<string, string[]>();
  let untraced = 0;
  let fromProse = 0;

  for (const value of values) {
    if (explainedByTask(value, context)) {
      fromTask.push(value);
      continue;
    }
    if (context.registration.has(value.toLowerCase())) {
      fromRegistration.push(value);
      continue;
    }
    const source = session?.values.get(value);
    if (source?.cleanTool) {
      if (!source.cleanStructured) fromProse++;
      const into = source.cleanUntrusted ? fromUntrusted : fromObservation;
      into.set(source.cleanTool, [...(into.get(source.cleanTool) ?? []), value]);
    } else if (source?.injectedTool) {
      injected.set(source.injectedTool, [...(injected.get(source.injectedTool) ?? []), value]);
    } else {
      untraced++;
    }
  }

  for (const [tool, list] of injected) {
    reasons.push(
      reason(
        PROVENANCE_REASON_CODES.injectedValue,
        consequential ? "critical" : "suspicious",
        `${named(list)} ${list.length === 1 ? "comes" : "come"} only from the output of ${tool}, which carried instructions aimed at the model`,
      ),
    );
  }
  const steered = session ? steeringTool(action, args, context, session) : null;
  if (steered !== null) {
    reasons.push(
      reason(
        PROVENANCE_REASON_CODES.steeredByInjection,
        "critical",
        `tool ${action.tool} is new in this session, and ${steered.join(", ")} ${steered.length === 1 ? "is" : "are"} named by instructions injected through ${session?.injectedTools.join(", ")}, not by the task`,
      ),
    );
  }
  if (fromTask.length > 0) {
    reasons.push(reason(PROVENANCE_REASON_CODES.fromTask, "info", `${named(fromTask)} from the session task`));
  }
  if (fromRegistration.length > 0) {
    reasons.push(
      reason(PROVENANCE_REASON_CODES.fromRegistration, "info", `${named(fromRegistration)} from the registration`),
    );
  }
  for (const [tool, list] of fromObservation) {
    reasons.push(reason(PROVENANCE_REASON_CODES.fromObservation, "info", `${named(list)} from the output of ${tool}`));
  }
  for (const [tool, list] of fromUntrusted) {
    reasons.push(
      reason(
        PROVENANCE_REASON_CODES.fromUntrustedObservation,
        "info",
        `${named(list)} from the output of ${tool}, a source others can write to; it carried no instructions`,
      ),
    );
  }
  if (untraced > 0 && session?.evicted) {
    reasons.push(
      reason(
        PROVENANCE_REASON_CODES.evicted,
        "info",
        `this session's oldest values were evicted; ${untraced} value(s) could not be traced and are judged as unexplained`,
      ),
    );
  }
  const fromSession = fromObservation.size + fromUntrusted.size;
  return {
    reasons,
    continuesSession: fromSession > 0 && injected.size === 0 && fromProse === 0,
  };
}

/**
 * The words of the call (its tool's name, its short argument values) that injected text names and the
 * task does not, when they decide the call: at least `STEERING_WORDS` of them, and more than the task
 * names. Only a tool the session has not used before counts: a tool the work already used is the work's.
 */
function steeringTool(
  action: ProposedAction,
  args: unknown,
  context: ProvenanceContext,
  session: SessionState,
): string[] | null {
  if (session.injectedStems.size === 0 || session.toolsUsed.has(action.tool)) return null;
  const words = new Set(tokenize(action.tool));
  if (action.arguments_json.length <= STEERING_ARGUMENT_CHARS) {
    for (const value of shortArgumentValues(args)) tokenize(value, []).forEach((w) => words.add(w));
  }
  const distinctive = [...words].filter((w) => w.length >= 3 && !GENERIC_TOOL_WORDS.has(w));
  const injected = distinctive.filter(
    (w) => session.injectedStems.has(stemWord(w)) && !context.taskStems.has(stemWord(w)),
  );
  const inTask = distinctive.filter((w) => context.taskStems.has(stemWord(w)));
  return injected.length >= STEERING_WORDS && injected.length > inTask.length ? injected : null;
}

/**
 * One distinctive word is enough (`prescriptions` in TeladocViewPrescriptions after "send me a list of
 * my current prescriptions"): the tool must also be new to the session and the word absent from the
 * task. Two missed 4 to 5% of the attack calls of the calibration half; one rejected 0.3% of the
 * legitimate calls made after an injection the agent did not follow (0.2% on the held-out half).
 */
const STEERING_WORDS = 1;
const SHORT_VALUE_CHARS = 80;

/** Arguments longer than this are a payload, not a short request; their values do not steer. */
const STEERING_ARGUMENT_CHARS = 4096;

/**
 * Short top-level string values of the arguments the payload axis parsed (a query, a name): what the
 * call is about, in the agent's words. Unreadable arguments (null) say nothing; the payload axis reports them.
 */
function shortArgumentValues(args: unknown): string[] {
  if (args === null || typeof args !== "object" || Array.isArray(args)) return [];
  return Object.values(args).filter((v): v is string => typeof v === "string" && v.length <= SHORT_VALUE_CHARS);
}

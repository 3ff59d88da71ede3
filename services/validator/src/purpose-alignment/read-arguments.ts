import { BoundedMemo } from "./bounded-memo.js";
import { type IntentValue, collectIntentValues, collectNumericIntentValue } from "./intent-values.js";
import { moneyArgument, namesMoney } from "./stated-amounts.js";
import { tokenize } from "./tokenize.js";

export interface ArgumentReadLimits {
  /** Longer arguments are not parsed; the payload axis owns oversized input. */
  maxJsonChars: number;
  /** Only the head of a long string joins the action text: its opening says what it is about. */
  maxValueChars: number;
  /** Bounds the per-call cost of the text vector whatever the argument shape. */
  maxTokens: number;
  /** Guards the recursion: deeper values are not read, and real tool arguments are shallow. */
  maxDepth: number;
}

/**
 * Values under these keys are what an action carries (a mail body, a post), not where it
 * goes: their words join the text, but an address quoted inside a body is not a recipient.
 */
const CONTENT_WORDS = new Set(
  `body content text message html markdown description note notes comment comments summary
   prompt caption subject title`.split(/\s+/),
);

export interface ArgumentReading {
  /** False when the JSON was too large or invalid; tokens and values are then empty. */
  readable: boolean;
  /** Words of the keys: fixed by the tool's schema, so they describe the tool more than this call. */
  keyTokens: string[];
  /** Words of the values. */
  tokens: string[];
  values: IntentValue[];
  /** Numbers under money keys (`amount`, `total_price`): what the action pays, refunds or books. */
  amounts: number[];
  /** Words of short values under an `action` or `operation` key: a generic tool's real verb (`"action": "delete"`). */
  declaredActions: string[];
}

const ACTION_KEYS = new Set(["action", "operation", "op"]);
const MAX_ACTION_CHARS = 40;

/** What an argument key says, whatever its value: read once per distinct key, since a tool's calls repeat its schema. */
interface ArgumentKey {
  /** The key's words; shared between calls, so never modified. */
  words: readonly string[];
  /** Its values are content (see `CONTENT_WORDS`). */
  namesContent: boolean;
  /** Its values may be money (see `moneyArgument`). */
  namesMoney: boolean;
}

function readKey(key: string): ArgumentKey {
  const words = tokenize(key);
  return { words, namesContent: words.some((w) => CONTENT_WORDS.has(w)), namesMoney: namesMoney(words) };
}

/** Keys remembered; keys that never repeat (ids used as keys) only make the table start over sooner. */
export const ARGUMENT_KEY_CAPACITY = 4096;
const argumentKeys = new BoundedMemo(ARGUMENT_KEY_CAPACITY, readKey);
/** The top level, and array items there: no key. */
const NO_KEY: ArgumentKey = { words: [], namesContent: false, namesMoney: false };

export function readArguments(json: string, limits: ArgumentReadLimits): ArgumentReading {
  const reading: ArgumentReading = {
    readable: false,
    keyTokens: [],
    tokens: [],
    values: [],
    amounts: [],
    declaredActions: [],
  };
  if (json.length > limits.maxJsonChars) return reading;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return reading;
  }
  reading.readable = true;
  walk(reading, limits, parsed, NO_KEY, false, 0);
  return reading;
}

/**
 * Words the reading may still take.
 *
 * NOTE: only the words are capped. Every string is still read for values, so padding the
 * arguments cannot push a recipient out of sight; `maxJsonChars` bounds that cost.
 */
function room(reading: ArgumentReading, limits: ArgumentReadLimits): number {
  return limits.maxTokens - reading.tokens.length - reading.keyTokens.length;
}

/*
 * A module-level function rather than a closure over the reading: creating a named closure on
 * every call costs more than reading a small argument object (tsx keeps function names by
 * defining them on each closure it creates).
 */
function walk(
  reading: ArgumentReading,
  limits: ArgumentReadLimits,
  node: unknown,
  key: ArgumentKey,
  content: boolean,
  depth: number,
): void {
  if (depth > limits.maxDepth) return;
  const keyWords = key.words;
  if (typeof node === "string") {
    if (keyWords.length === 1 && ACTION_KEYS.has(keyWords[0] ?? "") && node.length <= MAX_ACTION_CHARS) {
      tokenize(node, reading.declaredActions);
    }
    const amount = content || !key.namesMoney ? null : moneyArgument(keyWords, node);
    if (amount !== null) reading.amounts.push(amount);
    const whole = !content && collectIntentValues(keyWords, node, reading.values);
    if (whole || room(reading, limits) <= 0) return;
    const tokens = reading.tokens;
    const limit = tokens.length + room(reading, limits);
    tokenize(node.length > limits.maxValueChars ? node.slice(0, limits.maxValueChars) : node, tokens);
    if (tokens.length > limit) tokens.length = limit;
  } else if (typeof node === "number") {
    collectNumericIntentValue(keyWords, node, reading.values);
    const amount = key.namesMoney ? moneyArgument(keyWords, node) : null;
    if (amount !== null) reading.amounts.push(amount);
  } else if (Array.isArray(node)) {
    for (const item of node) walk(reading, limits, item, key, content, depth + 1);
  } else if (node !== null && typeof node === "object") {
    // `{"amount": {"value": 5000, "currency": "USD"}}`: the object under a money key is the amount.
    const amount = key.namesMoney && !content ? moneyArgument(keyWords, node) : null;
    if (amount !== null) reading.amounts.push(amount);
    for (const [name, value] of Object.entries(node)) {
      const child = argumentKeys.get(name);
      if (room(reading, limits) >= child.words.length) for (const word of child.words) reading.keyTokens.push(word);
      walk(reading, limits, value, child, content || child.namesContent, depth + 1);
    }
  }
}

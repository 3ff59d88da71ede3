import { type IntentValue, collectIntentValues, collectNumericIntentValue } from "./intent-values.js";
import { moneyArgument } from "./stated-amounts.js";
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
  const { keyTokens, tokens, values, amounts } = reading;
  // NOTE: only the words are capped. Every string is still read for values, so padding the
  // arguments cannot push a recipient out of sight; `maxJsonChars` bounds that cost.
  const room = (): number => limits.maxTokens - tokens.length - keyTokens.length;

  const walk = (node: unknown, keyWords: readonly string[], content: boolean, depth: number): void => {
    if (depth > limits.maxDepth) return;
    if (typeof node === "string") {
      if (keyWords.length === 1 && ACTION_KEYS.has(keyWords[0] ?? "") && node.length <= MAX_ACTION_CHARS) {
        tokenize(node, reading.declaredActions);
      }
      const amount = content ? null : moneyArgument(keyWords, node);
      if (amount !== null) amounts.push(amount);
      const whole = !content && collectIntentValues(keyWords, node, values);
      if (whole || room() <= 0) return;
      const limit = tokens.length + room();
      tokenize(node.length > limits.maxValueChars ? node.slice(0, limits.maxValueChars) : node, tokens);
      if (tokens.length > limit) tokens.length = limit;
    } else if (typeof node === "number") {
      collectNumericIntentValue(keyWords, node, values);
      const amount = moneyArgument(keyWords, node);
      if (amount !== null) amounts.push(amount);
    } else if (Array.isArray(node)) {
      for (const item of node) walk(item, keyWords, content, depth + 1);
    } else if (node !== null && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) {
        const words = tokenize(key);
        if (room() >= words.length) for (const word of words) keyTokens.push(word);
        walk(value, words, content || words.some((w) => CONTENT_WORDS.has(w)), depth + 1);
      }
    }
  };
  walk(parsed, [], false, 0);
  return reading;
}

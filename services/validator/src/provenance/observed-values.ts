import { findInjectedInstructions } from "../payload-safety/injected-instructions.js";
import { foldText } from "../payload-safety/normalise-text.js";
import { type IntentValue, collectIntentValues, normalisePath } from "../purpose-alignment/intent-values.js";
import { amountKey, moneyArgument, statedAmounts } from "../purpose-alignment/stated-amounts.js";
import { BoundedMemo } from "../purpose-alignment/bounded-memo.js";
import { tokenize } from "../purpose-alignment/tokenize.js";
import { stemWord } from "../purpose-alignment/word-stem.js";

/*
 * The consequential values a piece of text or JSON holds, in one normalised form shared by what the
 * agent saw and what it proposes: intent values as `intent-values.ts` normalises them (e-mail
 * addresses, hosts, accounts, phones, paths, references), identifiers (short single-token strings
 * such as `guest_amy01` or `B08KFQ9HK5`, lowercased) and amounts (`amount:<number>`).
 */

export interface ValueLimits {
  /** Nodes of a JSON output visited; the rest is not read (and the observation says so). */
  maxNodes: number;
  /** Characters of one string read for values. */
  maxStringChars: number;
  /** Depth of JSON followed. */
  maxDepth: number;
  /** Values taken from one observation. */
  maxValues: number;
}

export const DEFAULT_VALUE_LIMITS: ValueLimits = {
  maxNodes: 20_000,
  maxStringChars: 8_192,
  maxDepth: 32,
  maxValues: 2_000,
};

/** What one observation holds, split by whether the record each value sat in carried injected instructions. */
export interface ObservedValues {
  clean: Set<string>;
  /** The clean values that were a whole field of structured output (an id, an amount), not words in prose. */
  structured: Set<string>;
  injected: Set<string>;
  /** Phrases that marked a record as injected (bounded); empty when no record carried instructions. */
  injectedPhrases: string[];
  /** Stems of the words of the injected records: what an action steered by them would echo. */
  injectedStems: Set<string>;
  /** Some of the output was not read (too many nodes or values, too deep). */
  partial: boolean;
}

const IDENTIFIER = /^[\p{L}\p{N}][\p{L}\p{N}_.@+:#/-]{2,63}$/u;
/** An identifier inside prose has a digit, an underscore or an `@`, so ordinary words are not taken for one. */
const IDENTIFIER_IN_PROSE = /(?<![\p{L}\p{N}_@.-])[\p{L}\p{N}][\p{L}\p{N}_.@+-]{1,62}[\p{L}\p{N}](?![\p{L}\p{N}_@])/gu;
const MARKED_IDENTIFIER = /[\d_@]/;
const HANDLE_IN_PROSE = /(?<![\w@.])@[a-z0-9_]{2,30}\b/gi;
/** An e-mail address, a host or a URL: where something can be sent. */
const ADDRESS = /@|^[\w-]+(?:\.[\w-]+)+$/;
const NUMBER_TEXT = /^-?\d{1,15}(?:\.\d{1,6})?$/;
const MAX_PHRASES = 8;
const MAX_INJECTED_STEMS = 512;

/** Values in one string, found under a key with the words `keyWords`; appended to `into`. */
export function valuesOfString(keyWords: readonly string[], raw: string, into: string[]): void {
  // Callers bound the text (`maxStringChars`, or the detector's own bound for an excerpt).
  const trimmed = raw.trim();
  if (trimmed.length === 0) return;
  const found: IntentValue[] = [];
  collectIntentValues(keyWords, trimmed, found);
  for (const value of found) into.push(value.value);
  identifiersOfString(trimmed, into);
}

/**
 * The identifiers, handles, paths and amounts of one trimmed string (`valuesOfString` without the
 * intent values): a whole single-token string, or the marked tokens of prose.
 */
export function identifiersOfString(trimmed: string, into: string[]): void {
  if (!/\s/.test(trimmed)) {
    if (IDENTIFIER.test(trimmed)) into.push(trimmed.toLowerCase());
    // `./projects/a.txt` in a listing is the path `projects/a.txt` an action names.
    if (trimmed.includes("/") && !trimmed.includes("://")) into.push(normalisePath(trimmed));
    return;
  }
  // Each scan runs only when the character its matches need is there: most prose has no digit or `@`.
  const hasAt = trimmed.includes("@");
  if (hasAt) for (const match of trimmed.matchAll(HANDLE_IN_PROSE)) into.push(match[0].toLowerCase());
  if (!hasAt && !trimmed.includes("_") && !HAS_DIGIT.test(trimmed)) return;
  for (const match of trimmed.matchAll(IDENTIFIER_IN_PROSE)) {
    if (MARKED_IDENTIFIER.test(match[0])) into.push(match[0].toLowerCase());
  }
  for (const amount of statedAmounts(trimmed)) into.push(amountKey(amount));
}

const HAS_DIGIT = /\d/;

/** The words of an argument or field key, remembered: a tool's outputs and calls repeat their schema. */
export const keyWordsOf = new BoundedMemo<readonly string[]>(4096, (key) => tokenize(key));

/**
 * Values of one number found under `keyWords`. In an action only a number under a money key is an
 * amount; in what the agent saw (`anyAmount`) every number may be the one it goes on to pay or book
 * (a fare, a total a calculator returned).
 */
export function valuesOfNumber(keyWords: readonly string[], value: number, into: string[], anyAmount = false): void {
  if (!Number.isFinite(value)) return;
  const money = anyAmount ? value : moneyArgument(keyWords, value);
  if (money !== null) into.push(amountKey(money));
  // Ids and account numbers are often numbers; small counts and prices are not identifiers.
  if (Number.isInteger(value) && Math.abs(value) >= 1000) into.push(String(value));
}

interface Walk {
  nodes: number;
  limits: ValueLimits;
  result: ObservedValues;
}

/** Reads an observation's output (JSON text or plain text). */
export function observedValues(output: string, limits: ValueLimits = DEFAULT_VALUE_LIMITS): ObservedValues {
  const result: ObservedValues = {
    clean: new Set(),
    structured: new Set(),
    injected: new Set(),
    injectedPhrases: [],
    injectedStems: new Set(),
    partial: false,
  };
  const walk: Walk = { nodes: 0, limits, result };
  const parsed = parseJson(output);
  if (parsed.ok) {
    readNode(walk, parsed.value, [], 0);
  } else {
    // Plain text: each paragraph is a record of its own, so one planted paragraph taints only itself.
    for (const paragraph of output.split(/\n\s*\n/)) readRecord(walk, [{ keyWords: [], value: paragraph }]);
  }
  return result;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  const first = text.trimStart().charAt(0);
  if (first !== "{" && first !== "[" && first !== '"') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

type Field = { keyWords: readonly string[]; value: string | number };

/**
 * A JSON object is one record: its direct fields are read together. A value inside a string that
 * carries instructions aimed at the model counts as injected, and so does the same value anywhere else
 * in that record (the attacker's address in a planted e-mail's body and in its sender); the record's
 * other values (its id, its date) stay clean, so the work that needs them is not blocked. Nested
 * objects and array items are records of their own.
 */
function readNode(walk: Walk, node: unknown, keyWords: readonly string[], depth: number): void {
  if (walk.nodes++ >= walk.limits.maxNodes || depth > walk.limits.maxDepth) {
    walk.result.partial = true;
    return;
  }
  if (typeof node === "string" || typeof node === "number") {
    readRecord(walk, [{ keyWords, value: node }]);
  } else if (Array.isArray(node)) {
    for (const item of node) readNode(walk, item, keyWords, depth + 1);
  } else if (node !== null && typeof node === "object") {
    const fields: Field[] = [];
    for (const [key, value] of Object.entries(node)) {
      const words = keyWordsOf.get(key);
      if (typeof value === "string" || typeof value === "number") fields.push({ keyWords: words, value });
      else readNode(walk, value, words, depth + 1);
    }
    readRecord(walk, fields);
  }
}

function readRecord(walk: Walk, fields: readonly Field[]): void {
  const { result, limits } = walk;
  const clean: string[] = [];
  const structured: string[] = [];
  const injected: string[] = [];
  for (const field of fields) {
    if (typeof field.value === "number") {
      valuesOfNumber(field.keyWords, field.value, structured, true);
      continue;
    }
    const text = field.value.length > limits.maxStringChars ? field.value.slice(0, limits.maxStringChars) : field.value;
    const finding = text.length < 12 ? null : findInjectedInstructions(text);
    if (!finding?.injected) {
      const into = /\s/.test(text.trim()) ? clean : structured;
      valuesOfString(field.keyWords, foldText(text), into);
      if (NUMBER_TEXT.test(text)) into.push(amountKey(Number(text)));
      continue;
    }
    // What the instructions name is injected, and so is any address elsewhere in their field (where an
    // attacker may put it before the request); the field's own ids and dates before the request are not.
    const { excerpt } = finding;
    valuesOfString(field.keyWords, excerpt, injected);
    const inField: string[] = [];
    valuesOfString(field.keyWords, foldText(text), inField);
    for (const value of inField) (ADDRESS.test(value) ? injected : clean).push(value);
    for (const phrase of finding.phrases) {
      if (result.injectedPhrases.length < MAX_PHRASES && !result.injectedPhrases.includes(phrase)) {
        result.injectedPhrases.push(phrase);
      }
    }
    for (const word of tokenize(excerpt)) {
      if (result.injectedStems.size >= MAX_INJECTED_STEMS) break;
      if (word.length >= 3) result.injectedStems.add(stemWord(word));
    }
  }
  const tainted = new Set(injected);
  for (const value of injected) if (!add(result, limits, result.injected, value)) return;
  for (const value of clean) if (!tainted.has(value) && !add(result, limits, result.clean, value)) return;
  for (const value of structured) {
    if (tainted.has(value) || !add(result, limits, result.clean, value)) continue;
    result.structured.add(value);
  }
}

function add(result: ObservedValues, limits: ValueLimits, into: Set<string>, value: string): boolean {
  if (result.clean.size + result.injected.size >= limits.maxValues) {
    result.partial = true;
    return false;
  }
  into.add(value);
  return true;
}

import { createHmac } from "node:crypto";
import { DEFAULT_PAYLOAD_LIMITS, type PayloadFinding } from "./finding.js";
import { checkShape } from "./shape.js";
import { readNestedJson } from "./text-decoding.js";

/** The same bound as the walker's: deeper JSON-in-JSON was never scanned, so there is nothing found there. */
const MAX_NESTED_JSON = 2;
const FINGERPRINT_HEX = 12;

interface Needle {
  text: string;
  placeholder: string;
}

interface Span {
  start: number;
  end: number;
  placeholder: string;
}

/**
 * Replaces every secret value found by assessPayload with "[REDACTED:<kind>:<fingerprint>]", where the
 * fingerprint is the first 12 hex digits of HMAC-SHA256(key, value): the same secret always gives the
 * same placeholder, and nobody without the key can test a guess against it. Always returns valid JSON:
 * arguments that were not JSON come back as one JSON string.
 */
export function redactSecrets(
  argumentsJson: string,
  findings: readonly PayloadFinding[],
  fingerprintKey: Buffer,
): string {
  const needles = needlesFor(findings, fingerprintKey);
  const shape = checkShape(argumentsJson, DEFAULT_PAYLOAD_LIMITS);
  if (shape.ok) {
    return needles.length === 0 ? argumentsJson : JSON.stringify(redactValue(shape.value, needles, 0));
  }
  // Arguments too big, deep or broken to walk: replace in the text itself, in both escaped forms.
  const replaced = replaceNeedles(argumentsJson, needles);
  return isJson(replaced) ? replaced : JSON.stringify(replaced);
}

/** The same replacement in free text, such as a reason message that quotes an argument value. */
export function redactSecretsInText(text: string, findings: readonly PayloadFinding[], fingerprintKey: Buffer): string {
  return replaceNeedles(text, needlesFor(findings, fingerprintKey));
}

function needlesFor(findings: readonly PayloadFinding[], key: Buffer): Needle[] {
  const byText = new Map<string, Needle>();
  for (const { secret } of findings) {
    if (secret === undefined || secret.value === "" || byText.has(secret.value)) continue;
    const fingerprint = createHmac("sha256", key).update(secret.value, "utf8").digest("hex").slice(0, FINGERPRINT_HEX);
    const placeholder = `[REDACTED:${secret.kind}:${fingerprint}]`;
    byText.set(secret.value, { text: secret.value, placeholder });
    // A value found in parsed text appears JSON-escaped in raw text, and the other way round.
    for (const variant of [JSON.stringify(secret.value).slice(1, -1), unescapedJson(secret.value)]) {
      if (variant !== null && variant !== "" && !byText.has(variant))
        byText.set(variant, { text: variant, placeholder });
    }
  }
  return [...byText.values()];
}

function unescapedJson(text: string): string | null {
  if (!text.includes("\\")) return null;
  try {
    const value: unknown = JSON.parse(`"${text}"`);
    return typeof value === "string" ? value : null;
  } catch {
    return null;
  }
}

function redactValue(value: unknown, needles: readonly Needle[], nestedJson: number): unknown {
  if (typeof value === "string") return redactString(value, needles, nestedJson);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, needles, nestedJson));
  if (value !== null && typeof value === "object") {
    // A null prototype keeps a "__proto__" key an ordinary key.
    const result: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const [name, item] of Object.entries(value)) {
      result[replaceNeedles(name, needles)] = redactValue(item, needles, nestedJson);
    }
    return result;
  }
  return value;
}

function redactString(text: string, needles: readonly Needle[], nestedJson: number): string {
  const replaced = replaceNeedles(text, needles);
  if (nestedJson >= MAX_NESTED_JSON) return replaced;
  const nested = readNestedJson(replaced, DEFAULT_PAYLOAD_LIMITS.maxDepth, DEFAULT_PAYLOAD_LIMITS.maxNodes);
  if (nested === null || "problem" in nested) return replaced;
  const redacted = JSON.stringify(redactValue(nested.value, needles, nestedJson + 1));
  return redacted === JSON.stringify(nested.value) ? replaced : redacted;
}

/**
 * Replaces every occurrence of every needle. Overlapping occurrences merge into one replaced span, so no
 * part of any secret survives; the span takes the placeholder of the earliest, longest needle.
 */
function replaceNeedles(text: string, needles: readonly Needle[]): string {
  const spans: Span[] = [];
  for (const needle of needles) {
    for (let i = text.indexOf(needle.text); i !== -1; i = text.indexOf(needle.text, i + needle.text.length)) {
      spans.push({ start: i, end: i + needle.text.length, placeholder: needle.placeholder });
    }
  }
  if (spans.length === 0) return text;
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  let result = "";
  let cursor = 0;
  let merged: Span | null = null;
  for (const span of spans) {
    if (merged !== null && span.start < merged.end) {
      merged.end = Math.max(merged.end, span.end);
      continue;
    }
    if (merged !== null) {
      result += text.slice(cursor, merged.start) + merged.placeholder;
      cursor = merged.end;
    }
    merged = { ...span };
  }
  if (merged !== null) {
    result += text.slice(cursor, merged.start) + merged.placeholder;
    cursor = merged.end;
  }
  return result + text.slice(cursor);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

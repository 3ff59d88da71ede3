import { Buffer } from "node:buffer";
import { measureJson } from "./shape.js";
import {
  HAS_CONTROL,
  HAS_LONE_SURROGATE,
  HAS_LOWER,
  HAS_NON_ASCII,
  HAS_NON_BASE64_PUNCTUATION,
  HAS_UPPER,
  type TextProfile,
} from "./text-profile.js";

const PERCENT_ESCAPE = /%(?:[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4})/;
/** Two rounds undo double encoding ("%252e" → "%2e" → "."); a third layer is already an anomaly. */
const URL_DECODE_ROUNDS = 2;
// Overlong UTF-8 forms of "." "/" "\" that some servers still accept; decodeURIComponent rejects them.
const OVERLONG_ESCAPE = /%(?:c0%ae|e0%80%ae|c0%af|e0%80%af|c1%9c|c1%1c)/gi;
const IIS_ESCAPE = /%u([0-9A-Fa-f]{4})/g;
const BYTE_ESCAPE = /%([0-9A-Fa-f]{2})/g;

/** The text with percent-escapes undone, or null when it holds none. */
export function urlDecoded(text: string): string | null {
  if (!PERCENT_ESCAPE.test(text)) return null;
  let decoded = text;
  for (let round = 0; round < URL_DECODE_ROUNDS && PERCENT_ESCAPE.test(decoded); round++) {
    decoded = percentDecode(decoded);
  }
  return decoded === text ? null : decoded;
}

/** Decodes like a lenient server would: malformed UTF-8 sequences decode byte by byte instead of failing. */
export function percentDecode(text: string): string {
  const spaced = text.includes("+") ? text.replaceAll("+", " ") : text;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced
      .replace(OVERLONG_ESCAPE, overlongCharacter)
      .replace(IIS_ESCAPE, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
      .replace(BYTE_ESCAPE, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
}

function overlongCharacter(escape: string): string {
  const last = escape.slice(-2).toLowerCase();
  if (last === "ae") return ".";
  if (last === "af") return "/";
  return "\\";
}

const BASE64_MIN_LENGTH = 16;
/** Longer strings are left to the exfiltration detector, which judges them as blobs, not as text. */
const BASE64_MAX_LENGTH = 4096;
const BASE64_TEXT = /^[A-Za-z0-9+/_-]+={0,2}$/;
/** Decoded text with more than 1 in 20 unprintable characters was binary, not hidden text. */
const UNPRINTABLE_RATIO = 20;

/** What a short base64 string hides when that is mostly printable text, else null. */
export function base64Decoded(text: string, profile: TextProfile): string | null {
  if (text.length < BASE64_MIN_LENGTH || text.length > BASE64_MAX_LENGTH) return null;
  const disqualifying = HAS_NON_BASE64_PUNCTUATION | HAS_CONTROL | HAS_NON_ASCII | HAS_LONE_SURROGATE;
  if ((profile.flags & disqualifying) !== 0 || profile.spaces !== 0 || profile.newlines !== 0) return null;
  // Real base64 of text mixes cases; identifiers, hex digests and UUIDs mostly do not.
  if ((profile.flags & (HAS_LOWER | HAS_UPPER)) !== (HAS_LOWER | HAS_UPPER)) return null;
  if (!BASE64_TEXT.test(text)) return null;
  const decoded = Buffer.from(text, "base64").toString("utf8");
  return mostlyPrintable(decoded) ? decoded : null;
}

function mostlyPrintable(text: string): boolean {
  if (text.length < 8) return false;
  let unprintable = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f || c === 0xfffd) unprintable++;
  }
  return unprintable * UNPRINTABLE_RATIO <= text.length;
}

export type NestedJson = { value: unknown; nodes: number } | { problem: "too_deep" | "too_many_nodes" } | null;

/** Parses a string that holds a JSON object or array, within what is left of the depth and node budgets. */
export function readNestedJson(text: string, maxDepth: number, maxNodes: number): NestedJson {
  if (!looksLikeJsonContainer(text)) return null;
  const measure = measureJson(text, Math.max(maxDepth, 0), Math.max(maxNodes, 0));
  if (measure.problem === "binary") return null;
  if (measure.problem !== null) return { problem: measure.problem };
  try {
    return { value: JSON.parse(text) as unknown, nodes: measure.nodes };
  } catch {
    return null;
  }
}

function looksLikeJsonContainer(text: string): boolean {
  let start = 0;
  let end = text.length - 1;
  while (start < end && isJsonSpace(text.charCodeAt(start))) start++;
  while (end > start && isJsonSpace(text.charCodeAt(end))) end--;
  if (end <= start) return false;
  const first = text.charCodeAt(start);
  const last = text.charCodeAt(end);
  return (first === 0x7b && last === 0x7d) || (first === 0x5b && last === 0x5d);
}

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

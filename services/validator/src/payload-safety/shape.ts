import { Buffer } from "node:buffer";
import type { PayloadFinding, PayloadLimits } from "./finding.js";

export type ShapeProblem = "not_json" | "binary" | "too_deep" | "too_many_nodes" | "too_large";

export interface JsonMeasure {
  problem: "binary" | "too_deep" | "too_many_nodes" | null;
  nodes: number;
}

const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const BACKSLASH = 0x5c;

/**
 * Raw control characters (JSON only allows them escaped) and surrogates without their partner: no text
 * encoder produces either, binary data does. Tab, line feed and carriage return are whitespace.
 */
const BINARY_TEXT =
  // eslint-disable-next-line no-control-regex -- finding control characters is what this pattern is for.
  /[\x00-\x08\x0b\x0c\x0e-\x1f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Depth, value count and binary content of JSON text, found before anything parses it. Stops at the
 * first limit crossed, so its cost is bounded by the text length alone. Strings are skipped with
 * indexOf, so the JavaScript loop only visits structure. It does not validate the grammar: JSON.parse
 * does that afterwards, on text already known to be within the limits.
 */
export function measureJson(text: string, maxDepth: number, maxNodes: number): JsonMeasure {
  if (BINARY_TEXT.test(text)) return { problem: "binary", nodes: 0 };
  const containerIsObject = new Uint8Array(maxDepth + 1);
  let depth = 0;
  let nodes = 0;
  // Last significant character outside strings; 0 at the start of the text.
  let previous = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    switch (c) {
      case 0x20:
      case 0x09:
      case 0x0a:
      case 0x0d:
        continue;
      case QUOTE: {
        const isKey = depth > 0 && containerIsObject[depth] === 1 && (previous === OPEN_OBJECT || previous === COMMA);
        if (!isKey && ++nodes > maxNodes) return { problem: "too_many_nodes", nodes };
        const close = closingQuote(text, i + 1);
        if (close === -1) return { problem: null, nodes };
        i = close;
        break;
      }
      case OPEN_OBJECT:
      case OPEN_ARRAY:
        if (++nodes > maxNodes) return { problem: "too_many_nodes", nodes };
        if (++depth > maxDepth) return { problem: "too_deep", nodes };
        containerIsObject[depth] = c === OPEN_OBJECT ? 1 : 0;
        break;
      case CLOSE_OBJECT:
      case CLOSE_ARRAY:
        if (depth > 0) depth--;
        break;
      default:
        if (previous === 0 || previous === COLON || previous === COMMA || previous === OPEN_ARRAY) {
          if (++nodes > maxNodes) return { problem: "too_many_nodes", nodes };
        }
    }
    previous = c;
  }
  return { problem: null, nodes };
}

/** Index of the quote that ends a string starting at `from`, or -1. Each backslash is counted once overall. */
function closingQuote(text: string, from: number): number {
  for (let quote = text.indexOf('"', from); quote !== -1; quote = text.indexOf('"', quote + 1)) {
    let backslashes = 0;
    while (quote - backslashes - 1 >= from && text.charCodeAt(quote - backslashes - 1) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote;
  }
  return -1;
}

export type ShapeResult = { ok: true; value: unknown; nodes: number } | { ok: false; problem: ShapeProblem };

/** Decides whether the arguments may be parsed at all; nothing larger than the limit is ever scanned. */
export function checkShape(text: string, limits: PayloadLimits): ShapeResult {
  // UTF-8 never needs fewer bytes than UTF-16 code units, so the cheap length test settles most cases.
  if (text.length > limits.maxBytes || Buffer.byteLength(text, "utf8") > limits.maxBytes) {
    return { ok: false, problem: "too_large" };
  }
  const measure = measureJson(text, limits.maxDepth, limits.maxNodes);
  if (measure.problem !== null) return { ok: false, problem: measure.problem };
  try {
    return { ok: true, value: JSON.parse(text) as unknown, nodes: measure.nodes };
  } catch {
    return { ok: false, problem: "not_json" };
  }
}

export function shapeFinding(problem: ShapeProblem, path: string, limits: PayloadLimits): PayloadFinding {
  return {
    detector: "shape",
    code: `payload.shape.${problem}`,
    message: shapeMessage(problem, limits),
    severity: "critical",
    path,
  };
}

function shapeMessage(problem: ShapeProblem, limits: PayloadLimits): string {
  switch (problem) {
    case "not_json":
      return "The arguments are not valid JSON.";
    case "binary":
      return "The arguments hold control characters or broken UTF-16, as binary data would.";
    case "too_deep":
      return `The arguments nest deeper than ${limits.maxDepth} levels.`;
    case "too_many_nodes":
      return `The arguments hold more than ${limits.maxNodes} values.`;
    case "too_large":
      return `The arguments are larger than ${limits.maxBytes} bytes.`;
  }
}

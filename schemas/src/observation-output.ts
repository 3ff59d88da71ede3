/**
 * How a tool's result becomes an observation's `output` and back. A string travels as it is (plain
 * text: a page, a file); anything else as its JSON text (undefined as `null`). Both are cut to a
 * bound in UTF-8 bytes, never inside a character, and say whether they were.
 */
export function boundedOutput(result: unknown, maxBytes: number): { text: string; truncated: boolean } {
  return boundedText(typeof result === "string" ? result : jsonText(result), maxBytes);
}

/** `text` cut to at most `maxBytes` UTF-8 bytes, at a character boundary. */
export function boundedText(text: string, maxBytes: number): { text: string; truncated: boolean } {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return { text, truncated: false };
  let end = Math.max(0, maxBytes);
  // A UTF-8 continuation byte is 10xxxxxx: back up to the first byte of the character it belongs to.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end -= 1;
  return { text: bytes.subarray(0, end).toString("utf8"), truncated: true };
}

/** The output as the agent gets it back: the parsed JSON when it parses, the text otherwise. */
export function parsedOutput(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function jsonText(result: unknown): string {
  try {
    return JSON.stringify(result) ?? "null";
  } catch {
    // A cycle or a BigInt: the agent still gets something readable instead of nothing.
    return String(result);
  }
}

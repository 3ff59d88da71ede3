import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

/** Room for the result's JSON around its text, and for the note saying it was cut. */
const ENVELOPE_BYTES = 256;

/**
 * An upstream result that fits `maxBytes` as JSON, as the executor will send it back. One that does not
 * keeps its text, cut to fit and saying so, and drops what cannot be cut (structured content, images):
 * the client still reads a valid result, where the executor's own bound would cut the JSON mid-way.
 */
export function boundedResult(result: CallToolResult, maxBytes: number): CallToolResult {
  if (Buffer.byteLength(JSON.stringify(result), "utf8") <= maxBytes) return result;
  const text = result.content.map((c) => (c.type === "text" ? c.text : `[${c.type} left out]`)).join("\n");
  const note = `\n[the result was cut at ${maxBytes} bytes]`;
  // JSON escapes can double a text's size; the loop settles in a step or two.
  let budget = maxBytes - ENVELOPE_BYTES;
  for (;;) {
    const cut = Buffer.from(text, "utf8")
      .subarray(0, Math.max(0, budget))
      .toString("utf8")
      .replace(/\uFFFD+$/, "");
    const bounded: CallToolResult = {
      content: [{ type: "text", text: `${cut}${note}` }],
      ...(result.isError ? { isError: true } : {}),
    };
    const size = Buffer.byteLength(JSON.stringify(bounded), "utf8");
    if (size <= maxBytes || budget <= 0) return bounded;
    budget -= size - maxBytes;
  }
}

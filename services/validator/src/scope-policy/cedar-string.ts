const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * The string with any unpaired UTF-16 surrogate replaced by U+FFFD. Cedar's JSON reader throws on
 * a lone surrogate escape, and agents choose the strings that reach the context, so without this
 * one crafted argument would turn a decision into an exception.
 */
export function toCedarString(text: string): string {
  if (!SURROGATE.test(text)) return text;
  return Buffer.from(text, "utf8").toString("utf8");
}

import type { DetailedError } from "./cedar-wasm.js";

/**
 * Cedar's own message, then its help and the labelled spans it points at, located in `source` by
 * line and column so an author can find them. `shift` is where, in bytes, the text Cedar was given
 * starts inside `source` (Cedar validated one policy cut from the set).
 */
export function describeCedarError(error: DetailedError, source: string, shift = 0): string {
  const parts = [error.message];
  if (error.help) parts.push(`help: ${error.help}`);
  if (error.sourceLocations && error.sourceLocations.length > 0) {
    // NOTE: Cedar's offsets count UTF-8 bytes, not UTF-16 code units.
    const bytes = Buffer.from(source, "utf8");
    for (const location of error.sourceLocations) {
      const start = location.start + shift;
      const before = bytes.subarray(0, start).toString("utf8");
      const excerpt = bytes
        .subarray(start, location.end + shift)
        .toString("utf8")
        .slice(0, 60);
      const label = location.label ? `${location.label} ` : "";
      parts.push(`${label}at ${lineAndColumn(before)} \`${excerpt}\``);
    }
  }
  for (const related of error.related ?? []) parts.push(describeCedarError(related, source, shift));
  return parts.join("; ");
}

function lineAndColumn(before: string): string {
  const lines = before.split("\n");
  return `${lines.length}:${(lines[lines.length - 1] ?? "").length + 1}`;
}

/**
 * A registered pattern where `*` stands for any run of characters (dots and slashes included) and
 * every other character stands for itself. Compiled once per registration version.
 */
export interface GlobPattern {
  readonly source: string;
  /** No star: the text must equal `prefix`. */
  readonly exact: boolean;
  readonly prefix: string;
  readonly suffix: string;
  /** The non-empty literal runs between the first and the last star, in order. */
  readonly middle: readonly GlobSegment[];
}

interface GlobSegment {
  readonly text: string;
  /** Knuth–Morris–Pratt failure table, so a search never steps back in the text. */
  readonly failure: Int32Array;
}

export function compileGlob(source: string): GlobPattern {
  const runs = source.split("*");
  const prefix = runs[0] ?? "";
  if (runs.length === 1) return { source, exact: true, prefix, suffix: "", middle: [] };
  const middle = runs
    .slice(1, -1)
    .filter((run) => run !== "")
    .map((run) => ({ text: run, failure: failureTable(run) }));
  return { source, exact: false, prefix, suffix: runs[runs.length - 1] ?? "", middle };
}

/**
 * Whether `text` matches `pattern`, in time linear in their lengths. The prefix and suffix are
 * fixed; each middle run is taken at its leftmost occurrence after the previous one. Leftmost is
 * always safe, because a star can absorb whatever lies before a later occurrence, so no choice is
 * ever revisited; and each search is KMP, which never steps back in the text. The text is
 * agent-controlled, hence a guarantee rather than `indexOf`'s good average case, and no regular
 * expression (with its backtracking) is ever built from a pattern an operator typed.
 */
export function matchGlob(pattern: GlobPattern, text: string): boolean {
  if (pattern.exact) return text === pattern.prefix;
  const { prefix, suffix } = pattern;
  if (text.length < prefix.length + suffix.length) return false;
  if (!text.startsWith(prefix) || !text.endsWith(suffix)) return false;
  const end = text.length - suffix.length;
  let position = prefix.length;
  for (const segment of pattern.middle) {
    const found = findWithin(text, position, end, segment);
    if (found === -1) return false;
    position = found + segment.text.length;
  }
  return true;
}

export function matchAnyGlob(patterns: readonly GlobPattern[], text: string): boolean {
  for (const pattern of patterns) {
    if (matchGlob(pattern, text)) return true;
  }
  return false;
}

function failureTable(run: string): Int32Array {
  const table = new Int32Array(run.length);
  let matched = 0;
  for (let index = 1; index < run.length; index += 1) {
    const code = run.charCodeAt(index);
    while (matched > 0 && code !== run.charCodeAt(matched)) matched = table[matched - 1] ?? 0;
    if (code === run.charCodeAt(matched)) matched += 1;
    table[index] = matched;
  }
  return table;
}

/** Start of the leftmost occurrence of `segment` lying wholly inside `text[from, end)`, or -1. */
function findWithin(text: string, from: number, end: number, segment: GlobSegment): number {
  const { text: run, failure } = segment;
  let matched = 0;
  for (let index = from; index < end; index += 1) {
    const code = text.charCodeAt(index);
    while (matched > 0 && code !== run.charCodeAt(matched)) matched = failure[matched - 1] ?? 0;
    if (code === run.charCodeAt(matched)) matched += 1;
    if (matched === run.length) return index - run.length + 1;
  }
  return -1;
}

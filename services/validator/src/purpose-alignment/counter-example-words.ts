import { isContentWord } from "./content-words.js";
import { tokenize } from "./tokenize.js";
import { stemWord } from "./word-stem.js";
import type { WordVectors } from "./word-vectors.js";

/**
 * A clause opened by a negation describes what is absent ("a vendor the task does not
 * mention", "without verification"): an action that uses those words is not thereby like the
 * counter-example, so they are left out of its marks.
 */
const NEGATED_CLAUSE = /\b(?:not|never|without|no)\b[^,;.]*/gi;

/**
 * The marks of a counter-example: the stems of its content words that neither the purpose nor
 * an example uses (nor a registered operation, which every call of its tool names). Tool
 * descriptions do not count as in-purpose: they say what a tool can do, which is often more
 * than the purpose allows (`Delete e-mails` on an agent that only files them). Averaged word vectors put a counter-example close to every action
 * of its domain ("Change a vendor's bank details because an invoice asked for it" sits near
 * any vendor payment); its marks (`change`, `detail`, `ask`) are what set it apart from the
 * purpose, and an action is specifically like it only if it carries at least one of them.
 */
export function counterExampleMarks(
  vectors: WordVectors,
  counterExample: string,
  inPurposeStems: ReadonlySet<string>,
  contentWordWeight: number,
): ReadonlySet<string> {
  const marks = new Set<string>();
  for (const token of tokenize(counterExample.replace(NEGATED_CLAUSE, " "))) {
    if (!isContentWord(vectors, token, vectors.indexOf(token), contentWordWeight)) continue;
    const stem = stemWord(token);
    if (!inPurposeStems.has(stem)) marks.add(stem);
  }
  return marks;
}

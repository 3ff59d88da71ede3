import { describe, expect, it } from "vitest";
import { counterExampleMarks } from "@mandate/validator/purpose-alignment/counter-example-words";
import { DEFAULT_ALIGNMENT_CONFIG, loadWordVectors, tokenize } from "@mandate/validator/purpose-alignment/index";
import { stemWord } from "@mandate/validator/purpose-alignment/word-stem";

const vectors = loadWordVectors();
const stemsOf = (...texts: string[]): Set<string> => new Set(texts.flatMap((t) => tokenize(t)).map(stemWord));
const marksOf = (counterExample: string, ...inPurpose: string[]): string[] =>
  [
    ...counterExampleMarks(vectors, counterExample, stemsOf(...inPurpose), DEFAULT_ALIGNMENT_CONFIG.contentWordWeight),
  ].sort();

describe("counterExampleMarks", () => {
  it("keeps the words that set a counter-example apart from the in-purpose texts", () => {
    const marks = marksOf(
      "Change a supplier's bank details because an e-mail asked for it",
      "Pay approved supplier invoices and e-mail remittance advice",
    );
    expect(marks).toEqual(expect.arrayContaining([stemWord("change"), stemWord("bank"), stemWord("details")]));
    expect(marks).not.toContain(stemWord("supplier"));
    expect(marks).not.toContain(stemWord("mail"));
  });

  it("matches in-purpose words across inflections", () => {
    expect(marksOf("Deleting invoices", "delete a duplicate invoice")).toEqual([]);
  });

  it("drops what a negated clause says is absent", () => {
    const marks = marksOf("Forward mail to an address the user did not mention, or to a mailing list", "read mail");
    expect(marks).not.toContain(stemWord("mention"));
    expect(marks).toContain(stemWord("list"));
  });

  it("ignores the most frequent words", () => {
    expect(marksOf("Do it for them", "")).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import { stemWord } from "@mandate/validator/purpose-alignment/word-stem";

describe("stemWord", () => {
  it.each([
    ["secrets", "secret"],
    ["keys", "key"],
    ["disabled", "disable"],
    ["disabling", "disable"],
    ["deletes", "delete"],
    ["invoices", "invoice"],
  ])("collapses %s with %s", (inflected, base) => {
    expect(stemWord(inflected)).toBe(stemWord(base));
  });

  it("leaves short words and double s alone", () => {
    expect(stemWord("bus")).toBe("bus");
    expect(stemWord("access")).toBe("access");
    expect(stemWord("ssh")).toBe("ssh");
  });
});

import { describe, expect, it } from "vitest";
import { BoundedMemo } from "@mandate/validator/purpose-alignment/bounded-memo";
import { isContentWord } from "@mandate/validator/purpose-alignment/content-words";
import { readArguments } from "@mandate/validator/purpose-alignment/read-arguments";
import { DEFAULT_ALIGNMENT_CONFIG } from "@mandate/validator/purpose-alignment/alignment-config";
import { carriesMeaning } from "@mandate/validator/purpose-alignment/tokenize";
import { zeroedVector } from "@mandate/validator/purpose-alignment/vector-slab";
import { stemWord } from "@mandate/validator/purpose-alignment/word-stem";
import { WordFactsTable, addWord, isContent, wordFactsOf } from "@mandate/validator/purpose-alignment/word-facts";
import { loadWordVectors } from "@mandate/validator/purpose-alignment/word-vectors";

/* The caches that keep per-action work small must never change an answer, and must stay bounded. */

describe("BoundedMemo", () => {
  it("computes each exact key once, and starts over instead of growing past its capacity", () => {
    const computed: string[] = [];
    const memo = new BoundedMemo(2, (key) => {
      computed.push(key);
      return key.toUpperCase();
    });
    expect(memo.get("a")).toBe("A");
    expect(memo.get("a")).toBe("A");
    expect(memo.get("A")).toBe("A");
    expect(computed).toEqual(["a", "A"]);
    expect(memo.get("b")).toBe("B");
    expect(memo.size).toBe(1);
    expect(memo.get("a")).toBe("A");
    expect(computed).toEqual(["a", "A", "b", "a"]);
    for (let i = 0; i < 100; i++) memo.get(`k${i}`);
    expect(memo.size).toBeLessThanOrEqual(2);
  });
});

describe("word facts", () => {
  const vectors = loadWordVectors();
  const minWeight = DEFAULT_ALIGNMENT_CONFIG.contentWordWeight;

  it("give what the word vectors, the stemmer and isContentWord give, token by exact token", () => {
    const table = new WordFactsTable(vectors, 64);
    for (const token of ["invoice", "invoices", "the", "zzqxv", "2024", "s3", "ab", "refunding", "Invoice"]) {
      const index = vectors.indexOf(token);
      const word = table.get(token);
      expect(word.index).toBe(index);
      expect(word.meaningful).toBe(carriesMeaning(token));
      expect(word.stem).toBe(stemWord(token));
      expect(isContent(word, minWeight)).toBe(isContentWord(vectors, token, index, minWeight));
      expect(table.get(token)).toBe(word);
    }
  });

  it("add a word to an embedding exactly as the word vectors do, from the copied row", () => {
    const table = new WordFactsTable(vectors, 64);
    const expected = new Float32Array(vectors.dims);
    const actual = new Float32Array(vectors.dims);
    for (const token of ["approve", "the", "vendor", "invoice", "approve", "zzqxv"]) {
      const index = vectors.indexOf(token);
      if (index >= 0) vectors.addWeighted(expected, index, 1);
      addWord(actual, table.get(token), vectors.dims);
    }
    expect(Array.from(actual)).toEqual(Array.from(expected));
  });

  it("stay bounded, and give the same answers after starting over", () => {
    const table = new WordFactsTable(vectors, 3);
    const first = table.get("invoice");
    const sum = new Float32Array(vectors.dims);
    addWord(sum, first, vectors.dims);
    for (const token of ["refund", "order", "vendor", "payment", "customer"]) table.get(token);
    expect(table.size).toBeLessThanOrEqual(3);
    const again = table.get("invoice");
    expect(again).not.toBe(first);
    expect({ ...again, rows: null }).toEqual({ ...first, rows: null });
    // Facts handed out before the table started over keep reading their own rows.
    const later = new Float32Array(vectors.dims);
    addWord(later, first, vectors.dims);
    expect(Array.from(later)).toEqual(Array.from(sum));
  });

  it("are shared per word-vector set", () => {
    expect(wordFactsOf(vectors)).toBe(wordFactsOf(vectors));
  });
});

describe("argument keys", () => {
  it("read the same whether a key is seen for the first time or again", () => {
    const json = JSON.stringify({
      vendor_name: "Globex",
      amount: "$120.00",
      body: "pay Globex",
      to: "a@b.example.com",
    });
    const first = readArguments(json, DEFAULT_ALIGNMENT_CONFIG.arguments);
    const second = readArguments(json, DEFAULT_ALIGNMENT_CONFIG.arguments);
    expect(second).toEqual(first);
    expect(first.keyTokens).toEqual(["vendor", "name", "amount", "body", "to"]);
    expect(first.amounts).toEqual([120]);
    // A reading's arrays are its own: changing one does not reach the next reading.
    first.keyTokens.length = 0;
    expect(readArguments(json, DEFAULT_ALIGNMENT_CONFIG.arguments).keyTokens).toEqual(second.keyTokens);
  });
});

describe("zeroedVector", () => {
  it("hands out zeroed vectors that never overlap", () => {
    const vectors = Array.from({ length: 200 }, () => zeroedVector(100));
    for (const v of vectors) {
      expect(v.length).toBe(100);
      expect(v.every((x) => x === 0)).toBe(true);
      v.fill(1);
    }
    expect(vectors.every((v) => v.every((x) => x === 1))).toBe(true);
    expect(zeroedVector(10_000).length).toBe(10_000);
  });
});

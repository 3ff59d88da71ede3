import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { embedText } from "@mandate/validator/purpose-alignment/text-embedding";
import { cosine } from "@mandate/validator/purpose-alignment/vector-math";
import { WordVectorFileError, WordVectors, loadWordVectors } from "@mandate/validator/purpose-alignment/word-vectors";
import { DEFAULT_WORD_VECTOR_PATH } from "@mandate/validator/purpose-alignment/word-vector-file";

const scratch = mkdtempSync(join(tmpdir(), "mandate-word-vectors-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("word vectors", () => {
  it("loads the shared file once and finds words by their lowercase form", () => {
    const started = performance.now();
    const vectors = loadWordVectors();
    console.log(
      `loadWordVectors: ${(performance.now() - started).toFixed(0)} ms (first call in this worker), ${vectors.count} words`,
    );
    expect(loadWordVectors()).toBe(vectors);
    expect(vectors.dims).toBe(100);
    expect(vectors.indexOf("invoice")).toBeGreaterThanOrEqual(0);
    expect(vectors.indexOf("onboarding")).toBeGreaterThanOrEqual(0);
    expect(vectors.indexOf("zzqxv")).toBe(-1);
    expect(vectors.sifWeight(vectors.indexOf("the"))).toBeLessThan(0.05);
    expect(vectors.sifWeight(vectors.indexOf("reimbursement"))).toBeGreaterThan(0.9);
  });

  it("embeds related sentences closer than unrelated ones", () => {
    const vectors = loadWordVectors();
    const refund = embedText(vectors, "refund the customer's damaged order").vector;
    const money = embedText(vectors, "give the buyer their money back for the broken item").vector;
    const deploy = embedText(vectors, "roll out the new build to the production cluster").vector;
    expect(cosine(refund, money)).toBeGreaterThan(cosine(refund, deploy));
  });

  it("ignores out-of-vocabulary words for the vector but keeps them as tokens", () => {
    const vectors = loadWordVectors();
    const plain = embedText(vectors, "approve the invoice");
    const withUnknown = embedText(vectors, "approve the invoice zzqxv");
    expect(withUnknown.tokens).toContain("zzqxv");
    expect(Array.from(withUnknown.vector)).toEqual(Array.from(plain.vector));
    expect(Array.from(embedText(vectors, "zzqxv qqwvx").vector).every((x) => x === 0)).toBe(true);
  });

  it("rebuilds a missing file, saying so", () => {
    const path = join(scratch, "missing", "vectors.bin");
    const lines: string[] = [];
    const vectors = loadWordVectors({ path, log: (line) => lines.push(line) });
    expect(lines[0]).toContain("missing");
    expect(lines.some((line) => line.startsWith("5/5 wrote"))).toBe(true);
    expect(statSync(path).size).toBe(statSync(DEFAULT_WORD_VECTOR_PATH).size);
    expect(vectors.indexOf("invoice")).toBe(loadWordVectors().indexOf("invoice"));
  }, 120_000);

  it("rejects a file that is not whole, and rebuilds it when loading", () => {
    const path = join(scratch, "torn.bin");
    writeFileSync(path, readFileSync(DEFAULT_WORD_VECTOR_PATH).subarray(0, 1_000_000));
    expect(() => new WordVectors(readFileSync(path), path)).toThrow(WordVectorFileError);
    const lines: string[] = [];
    const vectors = loadWordVectors({ path, log: (line) => lines.push(line) });
    expect(lines[0]).toContain("rebuilding");
    expect(vectors.count).toBe(loadWordVectors().count);
  }, 120_000);
});

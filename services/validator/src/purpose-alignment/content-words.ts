import { carriesMeaning } from "./tokenize.js";
import type { WordVectors } from "./word-vectors.js";

/**
 * Whether a token carries content: not a number, at least three letters, and not one of the
 * most frequent words (those with a SIF weight under `minWeight`). Out-of-vocabulary tokens
 * count: they are names, identifiers and jargon. `index` is the token's vocabulary index
 * (negative when unknown), passed in because callers have usually looked it up already.
 */
export function isContentWord(vectors: WordVectors, token: string, index: number, minWeight: number): boolean {
  return token.length >= 3 && carriesMeaning(token) && (index < 0 || vectors.sifWeight(index) >= minWeight);
}

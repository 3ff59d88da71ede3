import { carriesMeaning } from "./tokenize.js";
import type { WordVectors } from "./word-vectors.js";

/**
 * Whether a token carries content: not a number, at least three letters, and not one of the
 * most frequent words (those with a SIF weight under `minWeight`). Out-of-vocabulary tokens
 * count: they are names, identifiers and jargon. `index` is the token's vocabulary index
 * (negative when unknown), passed in because callers have usually looked it up already.
 */
export function isContentWord(vectors: WordVectors, token: string, index: number, minWeight: number): boolean {
  return contentWeight(vectors, token, index) >= minWeight;
}

/**
 * The weight `isContentWord` compares with its minimum, so that it can be computed once per
 * distinct token (see `word-facts.ts`): the SIF weight of a vocabulary word, +∞ for an
 * out-of-vocabulary one (always content), −∞ for a number or a token under three characters (never).
 */
export function contentWeight(vectors: WordVectors, token: string, index: number): number {
  if (token.length < 3 || !carriesMeaning(token)) return -Infinity;
  return index < 0 ? Infinity : vectors.sifWeight(index);
}

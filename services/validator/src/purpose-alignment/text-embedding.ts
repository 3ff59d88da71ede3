import { carriesMeaning, tokenize } from "./tokenize.js";
import type { WordVectors } from "./word-vectors.js";

/**
 * SIF sentence embeddings (Arora et al., 2017): a weighted sum of word vectors with
 * weight a / (a + p(w)), minus its projection on the common component, L2-normalised.
 * The averaging step's 1/|s| is skipped: normalisation removes it anyway, and a plain sum
 * lets parts of an action (a tool's fixed description, then this call's words) be
 * accumulated separately and added.
 */

/** acc += factor · Σ sif(w) · v(w) over the tokens that are words; returns how many were. */
export function accumulateTokens(
  vectors: WordVectors,
  acc: Float32Array,
  tokens: readonly string[],
  factor = 1,
): number {
  let known = 0;
  for (const token of tokens) {
    if (!carriesMeaning(token)) continue;
    const index = vectors.indexOf(token);
    if (index < 0) continue;
    vectors.addWeighted(acc, index, factor);
    known++;
  }
  return known;
}

/** Removes the common component and normalises, in place. An empty sum stays all zeros. */
export function finishEmbedding(vectors: WordVectors, acc: Float32Array): Float32Array {
  const component = vectors.commonComponent;
  const dims = vectors.dims;
  let projection = 0;
  for (let d = 0; d < dims; d++) projection += (acc[d] ?? 0) * (component[d] ?? 0);
  let norm = 0;
  for (let d = 0; d < dims; d++) {
    const value = (acc[d] ?? 0) - projection * (component[d] ?? 0);
    acc[d] = value;
    norm += value * value;
  }
  if (norm > 0) {
    const inverse = 1 / Math.sqrt(norm);
    for (let d = 0; d < dims; d++) acc[d] = (acc[d] ?? 0) * inverse;
  }
  return acc;
}

export interface TextEmbedding {
  vector: Float32Array;
  /** Every token, in or out of vocabulary. */
  tokens: string[];
}

export function embedText(vectors: WordVectors, text: string): TextEmbedding {
  const tokens = tokenize(text);
  const vector = new Float32Array(vectors.dims);
  accumulateTokens(vectors, vector, tokens);
  return { vector: finishEmbedding(vectors, vector), tokens };
}

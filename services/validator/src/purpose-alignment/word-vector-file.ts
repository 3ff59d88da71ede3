import { fileURLToPath } from "node:url";

/**
 * Layout of the compact word-vector file that `build-word-vectors.ts` writes and
 * `word-vectors.ts` maps. Little-endian throughout; every section starts on a 4-byte
 * boundary so typed arrays can view the file buffer without copying.
 *
 *   header            HEADER_BYTES (see the offsets below)
 *   commonComponent   f32[dims]       unit vector removed from every text embedding (SIF step 2)
 *   scales            f32[count]      per-word int8 dequantisation scale
 *   probabilities     f32[count]      Zipf estimate of the word's unigram probability
 *   offsets           u32[count + 1]  where each word starts in the vocabulary bytes
 *   hashSlots         u32[slots]      open addressing, linear probing; word index + 1, 0 = empty
 *   vectors           i8[count*dims]
 *   vocabulary        UTF-8 bytes, words back to back in source frequency order
 */
export const WORD_VECTOR_MAGIC = 0x4d575646; // "MWVF"
/** Bump whenever the layout or anything derived at build time (weights, common component) changes. */
export const WORD_VECTOR_FORMAT_VERSION = 1;
export const HEADER_BYTES = 64;

export const HEADER_OFFSETS = {
  magic: 0,
  formatVersion: 4,
  dims: 8,
  count: 12,
  hashSlots: 16,
  sifSmoothing: 20,
  sourceSize: 24,
  vocabularyBytes: 28,
} as const;

export interface WordVectorSections {
  commonComponent: number;
  scales: number;
  probabilities: number;
  offsets: number;
  hashSlots: number;
  vectors: number;
  vocabulary: number;
  total: number;
}

const align4 = (n: number): number => (n + 3) & ~3;

export function wordVectorSections(
  dims: number,
  count: number,
  hashSlots: number,
  vocabularyBytes: number,
): WordVectorSections {
  const commonComponent = HEADER_BYTES;
  const scales = commonComponent + dims * 4;
  const probabilities = scales + count * 4;
  const offsets = probabilities + count * 4;
  const hashSlotsAt = offsets + (count + 1) * 4;
  const vectors = hashSlotsAt + hashSlots * 4;
  const vocabulary = align4(vectors + count * dims);
  return {
    commonComponent,
    scales,
    probabilities,
    offsets,
    hashSlots: hashSlotsAt,
    vectors,
    vocabulary,
    total: vocabulary + vocabularyBytes,
  };
}

/** FNV-1a over the word's UTF-16 code units; the vocabulary is ASCII, so bytes and code units agree. */
export function hashWord(word: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) {
    h ^= word.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** `<repo>/.cache/word-vectors/…`, resolved from this file so it works from any working directory. */
export const DEFAULT_WORD_VECTOR_PATH = fileURLToPath(
  new URL(`../../../../.cache/word-vectors/wink-sg-100d.v${WORD_VECTOR_FORMAT_VERSION}.bin`, import.meta.url),
);

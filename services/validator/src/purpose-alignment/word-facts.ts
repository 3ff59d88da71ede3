import { contentWeight } from "./content-words.js";
import { carriesMeaning } from "./tokenize.js";
import { stemWord } from "./word-stem.js";
import { type WordVectors, addQuantisedRow } from "./word-vectors.js";

/**
 * Everything alignment asks about one token, none of which depends on the action: found once per
 * distinct token instead of once per occurrence (a vocabulary probe, a stem and a SIF weight for
 * each of the tens of words every call carries).
 */
export interface WordFacts {
  /** Vocabulary index; -1 out of vocabulary. */
  index: number;
  /** Not a pure number (`carriesMeaning`). */
  meaningful: boolean;
  stem: string;
  /** Compared with `contentWordWeight`: see `contentWeight`. */
  contentWeight: number;
  /** A vocabulary word's quantised row, copied into its table's arena (empty out of vocabulary)… */
  rows: Int8Array;
  /** …from this offset… */
  rowStart: number;
  /** …and what it is multiplied by when added to an embedding (`WordVectors.scaledWeight`). */
  scaledWeight: number;
}

/**
 * Distinct tokens remembered per word-vector set. Calls repeat their tools' argument keys, their
 * domain's words and their session's task, so a few thousand cover a fleet; ids and numbers that
 * never repeat only make the table start over sooner.
 */
export const WORD_FACTS_CAPACITY = 16_384;

const NO_ROWS = new Int8Array(0);

/**
 * The facts of the tokens seen lately, at most `capacity` of them. When full it starts over rather
 * than evicting one at a time: a hit then costs one Map lookup, and since the facts are a pure
 * function of the token, a forgotten entry only costs looking it up again, never a different answer.
 *
 * The rows of the words it holds are copied side by side into one arena: the vector file is tens
 * of megabytes, and the hundred-byte rows of a call's words, scattered over it, each cost a cache
 * (and often a TLB) miss, while the rows of the words in use sit together here.
 */
export class WordFactsTable {
  private readonly entries = new Map<string, WordFacts>();
  private rows: Int8Array;
  private rowsUsed = 0;

  constructor(
    private readonly vectors: WordVectors,
    readonly capacity: number,
  ) {
    this.rows = new Int8Array(capacity * vectors.dims);
  }

  get size(): number {
    return this.entries.size;
  }

  get(token: string): WordFacts {
    const known = this.entries.get(token);
    if (known !== undefined) return known;
    if (this.entries.size >= this.capacity) {
      this.entries.clear();
      // A fresh arena: facts handed out before keep pointing at the old one, which stays valid.
      this.rows = new Int8Array(this.capacity * this.vectors.dims);
      this.rowsUsed = 0;
    }
    const vectors = this.vectors;
    const index = vectors.indexOf(token);
    let rows: Int8Array = NO_ROWS;
    let rowStart = 0;
    let scaledWeight = 0;
    if (index >= 0) {
      rows = this.rows;
      rowStart = this.rowsUsed * vectors.dims;
      vectors.copyRow(index, rows, rowStart);
      this.rowsUsed++;
      scaledWeight = vectors.scaledWeight(index);
    }
    const facts: WordFacts = {
      index,
      meaningful: carriesMeaning(token),
      stem: stemWord(token),
      contentWeight: contentWeight(vectors, token, index),
      rows,
      rowStart,
      scaledWeight,
    };
    this.entries.set(token, facts);
    return facts;
  }
}

const tables = new WeakMap<WordVectors, WordFactsTable>();

/** The facts table of one word-vector set; a model built on other vectors never sees foreign indices. */
export function wordFactsOf(vectors: WordVectors): WordFactsTable {
  let table = tables.get(vectors);
  if (!table) {
    table = new WordFactsTable(vectors, WORD_FACTS_CAPACITY);
    tables.set(vectors, table);
  }
  return table;
}

/** `isContentWord`, from the facts. */
export function isContent(word: WordFacts, minWeight: number): boolean {
  return word.contentWeight >= minWeight;
}

/**
 * acc += sif(w) · v(w) for a vocabulary word, as `WordVectors.addWeighted` at factor 1 (the same
 * weight and the same row values, so the same sums), reading the row from the table's arena.
 */
export function addWord(acc: Float32Array, word: WordFacts, dims: number): void {
  if (word.index >= 0) addQuantisedRow(acc, word.rows, word.rowStart, word.scaledWeight, dims);
}

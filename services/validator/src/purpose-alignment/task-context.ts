import { BoundedLru } from "./bounded-lru.js";
import { type ExplainingContext, explainingContext } from "./explaining-context.js";
import { asksOnlyForInformation } from "./requested-change.js";
import { embedText } from "./text-embedding.js";
import { stemWord } from "./word-stem.js";
import type { WordVectors } from "./word-vectors.js";

/** A session task, embedded and read for values once, then shared by every action of the session. */
export interface TaskContext {
  vector: Float32Array;
  explaining: ExplainingContext;
  /** Stems of the task's words, so a call saying `invoice` echoes a task saying `invoices`. */
  stems: ReadonlySet<string>;
  /** The task asks a question or for a look-up, and for no change (see `requested-change.ts`). */
  asksOnly: boolean;
}

/**
 * One cache per word-vector set, so a model built on other vectors never sees foreign
 * embeddings. Its capacity is fixed by the first call for that set.
 */
const caches = new WeakMap<WordVectors, BoundedLru<string, TaskContext>>();

export function taskContext(vectors: WordVectors, task: string, capacity: number): TaskContext {
  let cache = caches.get(vectors);
  if (!cache) {
    cache = new BoundedLru(capacity);
    caches.set(vectors, cache);
  }
  let context = cache.get(task);
  if (!context) {
    const { vector, tokens } = embedText(vectors, task);
    context = {
      vector,
      explaining: explainingContext(task),
      stems: new Set(tokens.map(stemWord)),
      asksOnly: asksOnlyForInformation(task),
    };
    cache.set(task, context);
  }
  return context;
}

import { ownedString } from "./owned-string.js";

/**
 * Adds `value` as the most recent member of `set`, dropping the least recent beyond `capacity`.
 * A Set iterates in insertion order, so deleting and re-adding moves a value to the end and the
 * first member is always the least recently remembered. Room is made before adding so that the
 * Set's table never has to grow past `capacity` live entries.
 */
export function rememberRecent(set: Set<string>, value: string, capacity: number): void {
  if (!set.delete(value)) {
    while (set.size >= capacity) {
      const oldest = set.values().next();
      if (oldest.done) break;
      set.delete(oldest.value);
    }
  }
  set.add(ownedString(value));
}

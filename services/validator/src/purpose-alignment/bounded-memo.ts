/**
 * Remembers a pure function of a string for at most `capacity` distinct inputs. When full it
 * starts over rather than evicting one entry at a time: a hit then costs a single Map lookup
 * (an LRU moves the entry on every hit), and because the function is pure, a forgotten entry
 * only costs computing it again, never a different answer.
 */
export class BoundedMemo<V> {
  private readonly entries = new Map<string, V>();

  constructor(
    readonly capacity: number,
    private readonly compute: (key: string) => V,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V {
    let value = this.entries.get(key);
    if (value === undefined) {
      if (this.entries.size >= this.capacity) this.entries.clear();
      value = this.compute(key);
      this.entries.set(key, value);
    }
    return value;
  }
}

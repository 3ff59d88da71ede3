/**
 * The stores of one partition's batches (insert, then commit), kept in order while the sink fetches
 * on: a batch is encoded and its store enqueued, and kafkajs fetches the next batches while ClickHouse
 * stores it. A store runs only once the store before it has committed, so a partition's committed
 * offset never passes a batch that is not stored.
 *
 * When a store does not commit (the sink is stopping, the partition was reassigned, or storing
 * failed), the stores enqueued after it are abandoned and the partition is rewound once, to be read
 * again from the batch that was not stored. Each rewind, and each rebalance (`reset`), starts a new
 * epoch: places taken in an earlier one are no longer current, and what they enqueue never runs.
 */
export class PartitionStores {
  private epoch = 0;
  private last: Promise<boolean> = Promise.resolve(true);

  /** The next place in the partition's order, for a batch fetched now. */
  next(): StorePlace {
    const epoch = this.epoch;
    const previous = this.last;
    const current = () => this.epoch === epoch;
    return {
      current,
      previousEnded: () => previous,
      enqueue: (store, rewind) => {
        const run = previous
          .then((committed) => (committed && current() ? store() : false))
          .catch(() => false)
          .then((committed) => {
            if (!committed && current()) {
              this.reset();
              rewind();
            }
            return committed;
          });
        if (current()) this.last = run;
        return run;
      },
    };
  }

  /** Abandons every store enqueued so far (after a rebalance): later places do not wait for them. */
  reset(): void {
    this.epoch += 1;
    this.last = Promise.resolve(true);
  }

  /** Resolves once every store enqueued so far has ended, stored or not. */
  settled(): Promise<unknown> {
    return this.last;
  }
}

/** One batch's place among its partition's stores. */
export interface StorePlace {
  /** False once the partition was rewound or reset after this place was taken. */
  current(): boolean;
  /** Resolves once the partition's previous store has ended: true if it committed. */
  previousEnded(): Promise<boolean>;
  /**
   * Runs `store` once the previous store has committed, while this place is current; `store`
   * resolves true once its batch is committed, and one that throws counts as one that did not. If
   * it or an earlier store did not commit, and no one has rewound the partition since, the
   * partition starts a new epoch and `rewind` is called. Resolves to whether the batch was committed.
   */
  enqueue(store: () => Promise<boolean>, rewind: () => void): Promise<boolean>;
}

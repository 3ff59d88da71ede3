import { describe, expect, it } from "vitest";
import { PartitionStores, type StorePlace } from "@mandate/sink/partition-stores";

/** A store the test ends by hand, recording when it ran. */
function heldStore(name: string, ran: string[]) {
  let end!: (committed: boolean) => void;
  const ended = new Promise<boolean>((resolve) => (end = resolve));
  return {
    store: () => {
      ran.push(name);
      return ended;
    },
    end: (committed: boolean) => end(committed),
  };
}

/** Whether a store enqueued at `place` runs at once (waiting on nothing) and commits. */
async function storedAtOnce(place: StorePlace, rewind: () => void): Promise<boolean> {
  if ((await place.previousEnded()) !== true) return false;
  return place.enqueue(() => Promise.resolve(true), rewind);
}

const turns = () => new Promise((resolve) => setImmediate(resolve));

describe("a partition's stores", () => {
  it("run one after another, each only once the one before it committed", async () => {
    const stores = new PartitionStores();
    const ran: string[] = [];
    const first = heldStore("first", ran);
    const second = heldStore("second", ran);
    const rewinds: string[] = [];
    const firstRun = stores.next().enqueue(first.store, () => rewinds.push("first"));
    const secondPlace = stores.next();
    const secondRun = secondPlace.enqueue(second.store, () => rewinds.push("second"));
    await turns();
    expect(ran).toEqual(["first"]);

    first.end(true);
    expect(await secondPlace.previousEnded()).toBe(true);
    expect(ran).toEqual(["first", "second"]);
    second.end(true);
    expect([await firstRun, await secondRun]).toEqual([true, true]);
    expect(rewinds).toEqual([]);
    expect(secondPlace.current()).toBe(true);
  });

  it("abandon what was enqueued after a store that did not commit, and rewind the partition once, from it", async () => {
    const stores = new PartitionStores();
    const ran: string[] = [];
    const rewinds: string[] = [];
    const failing = heldStore("failing", ran);
    const failingRun = stores.next().enqueue(failing.store, () => rewinds.push("failing"));
    const laterPlace = stores.next();
    const laterRun = laterPlace.enqueue(
      () => {
        ran.push("later");
        return Promise.resolve(true);
      },
      () => rewinds.push("later"),
    );

    failing.end(false);
    expect([await failingRun, await laterRun]).toEqual([false, false]);
    expect(ran).toEqual(["failing"]);
    expect(rewinds).toEqual(["failing"]);
    expect(laterPlace.current()).toBe(false);

    // The batch read again after the rewind takes a place of the new epoch and is stored.
    expect(await storedAtOnce(stores.next(), () => rewinds.push("again"))).toBe(true);
    expect(rewinds).toEqual(["failing"]);
  });

  it("count a store that throws as one that did not commit", async () => {
    const stores = new PartitionStores();
    const rewinds: number[] = [];
    const run = stores.next().enqueue(
      () => Promise.reject(new Error("commit failed")),
      () => rewinds.push(1),
    );
    expect(await run).toBe(false);
    expect(rewinds).toEqual([1]);
  });

  it("after a rebalance, let the store under way end, run none of those waiting, and let new places go first", async () => {
    const stores = new PartitionStores();
    const ran: string[] = [];
    const rewinds: string[] = [];
    const underWay = heldStore("under way", ran);
    const oldPlace = stores.next();
    const underWayRun = oldPlace.enqueue(underWay.store, () => rewinds.push("under way"));
    const waitingRun = stores.next().enqueue(
      () => {
        ran.push("waiting");
        return Promise.resolve(true);
      },
      () => rewinds.push("waiting"),
    );
    await turns();

    stores.reset();
    expect(oldPlace.current()).toBe(false);
    expect(await storedAtOnce(stores.next(), () => rewinds.push("fresh"))).toBe(true);

    let settled = false;
    void stores.settled().then(() => (settled = true));
    underWay.end(true);
    expect([await underWayRun, await waitingRun]).toEqual([true, false]);
    expect(ran).toEqual(["under way"]);
    // The rebalance, not a failure, ended the old epoch: nothing is rewound.
    expect(rewinds).toEqual([]);
    await turns();
    expect(settled).toBe(true);
  });
});

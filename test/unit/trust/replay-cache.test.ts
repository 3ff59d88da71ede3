import { describe, expect, it } from "vitest";
import { ReplayCache } from "@mandate/validator/workload-identity/index";

const minute = 60_000;

describe("replay cache", () => {
  it("refuses a nonce or an action id it has seen, per agent", () => {
    const cache = new ReplayCache({ retentionMs: 2 * minute, maxEntriesPerAgent: 100 });
    expect(cache.admit("a", "n1", "act-1", 0, 0)).toBe("fresh");
    expect(cache.admit("a", "n1", "act-2", 0, 1)).toBe("replayed_nonce");
    expect(cache.admit("a", "n2", "act-1", 0, 2)).toBe("replayed_action_id");
    // Another agent's nonces are its own business.
    expect(cache.admit("b", "n1", "act-1", 0, 3)).toBe("fresh");
  });

  it("remembers an envelope for the whole retention window, and forgets it afterwards", () => {
    const cache = new ReplayCache({ retentionMs: 2 * minute, maxEntriesPerAgent: 100 });
    cache.admit("a", "n1", "act-1", 0, 0);
    expect(cache.admit("a", "n1", "act-1", 0, 2 * minute - 1)).toBe("replayed_nonce");
    expect(cache.admit("a", "n1", "act-1", 0, 2 * minute + 1)).toBe("fresh");
  });

  it("is bounded per agent: a full window refuses rather than forgets, and frees up as entries age out", () => {
    const cache = new ReplayCache({ retentionMs: minute, maxEntriesPerAgent: 3 });
    for (let i = 0; i < 3; i += 1) expect(cache.admit("a", `n${i}`, `act-${i}`, i, i)).toBe("fresh");
    expect(cache.admit("a", "n3", "act-3", 3, 3)).toBe("window_full");
    expect(cache.size).toBe(3);
    // The first entry has aged out; there is room for exactly one more.
    expect(cache.admit("a", "n3", "act-3", minute, minute)).toBe("fresh");
    expect(cache.size).toBe(3);
  });

  it("holds at most agents × cap entries under a flood, and drops idle agents once their window passes", () => {
    const cache = new ReplayCache({ retentionMs: minute, maxEntriesPerAgent: 50 });
    for (let i = 0; i < 100_000; i += 1) cache.admit(`agent-${i % 20}`, `n${i}`, `act-${i}`, i % 1000, i % 1000);
    expect(cache.size).toBe(20 * 50);
    expect(cache.admit("late", "n", "act", 10 * minute, 10 * minute)).toBe("fresh");
    expect(cache.agentCount).toBe(1);
    expect(cache.size).toBe(1);
  });

  it("forgets what an aborted batch admitted, and keeps what a committed batch admitted", () => {
    const cache = new ReplayCache({ retentionMs: minute, maxEntriesPerAgent: 100 });
    cache.admit("a", "before", "act-0", 0, 0);
    const aborted = cache.beginBatch();
    expect(cache.admit("a", "n1", "act-1", 0, 1)).toBe("fresh");
    // A replay inside the aborted batch must not take the earlier, committed entry with it.
    expect(cache.admit("a", "before", "act-0", 0, 1)).toBe("replayed_nonce");
    cache.endBatch();
    cache.abortBatch(aborted);
    expect(cache.admit("a", "n1", "act-1", 0, 2)).toBe("fresh");
    expect(cache.admit("a", "before", "act-0", 0, 2)).toBe("replayed_nonce");

    cache.beginBatch();
    cache.admit("a", "n2", "act-2", 0, 3);
    cache.endBatch();
    // Another batch's abort forgets only what that batch admitted.
    cache.abortBatch(aborted);
    expect(cache.admit("a", "n2", "act-2", 0, 4)).toBe("replayed_nonce");
  });
});

import { describe, expect, it } from "vitest";
import type { ClickHouseClient } from "@mandate/common/clickhouse-connection";
import crypto from "node:crypto";
import { CHAIN_GENESIS } from "@mandate/common/trail-chain";
import { DecisionChainer } from "@mandate/sink/decision-chainer";
import { decisionRow } from "@mandate/sink/trail-rows";
import { TrailTableColumns } from "@mandate/common/trail-columns";
import { InsertRows } from "@mandate/sink/trail-writer";
import { sampleDecision } from "../support/trail-decisions.js";

/** A trail that has stored nothing yet: every agent starts its chain from the genesis hash. */
const emptyTrail = {
  query: async () => ({ json: async () => [] }),
} as unknown as ClickHouseClient;

/** Stands in for the insert that hashes each row (trail-chain.ts has the format; this tests the linking). */
const hash = (row: Record<string, unknown>) =>
  crypto.hash("sha256", `${String(row.chain_prev)}|${String(row.decision_id)}`, "hex");

const rowsFor = (agents: string[], firstOffset: number) =>
  agents.map((agent, i) =>
    decisionRow(sampleDecision(agent, Date.now() + i), { partition: 0, offset: String(firstOffset + i) }, 0),
  );

describe("the decision chainer", () => {
  it("links each agent's rows to its previous one, and moves the heads only once the batch is advanced", async () => {
    const chainer = new DecisionChainer(emptyTrail, "trail");
    expect(chainer.needsHeads(0, "0")).toBe(true);
    await chainer.loadHeads(0, "0");
    const rows = rowsFor(["a", "b", "a"], 0);
    const stored = chainer.link(0, "2", rows, hash);
    expect(rows.map((r) => [r.agent_id, r.chain_seq])).toEqual([
      ["a", 1],
      ["b", 1],
      ["a", 2],
    ]);
    expect(rows[0]!.chain_prev).toBe(CHAIN_GENESIS);
    expect(rows[2]!.chain_prev).toBe(rows[0]!.chain_hash);
    expect(rows[2]!.chain_hash).toBe(hash(rows[2]!));

    // Not advanced yet: linking the next batch again starts from the same heads.
    const again = rowsFor(["a"], 3);
    chainer.link(0, "3", again, hash);
    expect(again[0]!.chain_seq).toBe(1);
    stored();
    const next = rowsFor(["a"], 3);
    chainer.link(0, "3", next, hash);
    expect([next[0]!.chain_seq, next[0]!.chain_prev]).toEqual([3, rows[2]!.chain_hash]);
  });

  it("keeps its heads across offsets skipped by transaction markers, and reloads for anything delivered again", async () => {
    const chainer = new DecisionChainer(emptyTrail, "trail");
    await chainer.loadHeads(4, "10");
    chainer.link(4, "19", rowsFor(["a"], 19), hash)();
    expect(chainer.needsHeads(4, "21")).toBe(false); // 20 was a commit marker
    expect(chainer.needsHeads(4, "19")).toBe(true); // delivered again
    expect(chainer.needsHeads(5, "21")).toBe(true); // another partition
    chainer.forgetAll(); // a rebalance
    expect(chainer.needsHeads(4, "21")).toBe(true);
    expect(() => chainer.link(4, "21", rowsFor(["a"], 21), hash)).toThrow(/not loaded/);
  });

  it("is hashed by an insert only from rows whose chain_prev and chained columns come first, in order", () => {
    const insert = new InsertRows(new TrailTableColumns("trail.decisions", new Map()));
    const [row] = rowsFor(["a"], 0);
    const { chain_prev: prev, ...rest } = row!;
    // chain_prev moved after the content: the bytes before chain_hash would no longer be the chain's.
    expect(() => insert.add({ ...rest, chain_prev: prev })).toThrow(/must begin with chain_prev, decision_id/);
  });
});

import type { ClickHouseClient } from "@mandate/common/clickhouse-connection";
import { CHAIN_GENESIS } from "@mandate/common/trail-chain";

interface ChainHead {
  seq: number;
  hash: string;
}

type ChainedRow = Record<string, unknown> & { agent_id: string };

interface PartitionChains {
  /** The offset of the last decision linked; the heads are current up to it. */
  lastOffset: bigint;
  heads: Map<string, ChainHead>;
}

/**
 * Links each agent's decisions into its hash chain (see trail-chain.ts) as the sink stores them.
 *
 * The chain heads are kept per partition of the decisions topic, with the offset they are current up
 * to. They advance as soon as a batch is linked, so the partition's next batch can be linked and
 * encoded while this one is stored, and are trusted only while every batch linked is stored in turn:
 * `forget` when one was not, `forgetAll` on every rebalance. A batch that finds no heads, or starts at
 * or before an offset already linked (delivered again), reloads that partition's heads from ClickHouse as of the batch's
 * first offset: the newest stored row of each agent below it. Rows stored beyond it but never
 * committed are then chained again from the same heads, in the same order, so they get the same
 * hashes and collapse with their first copies in the ReplacingMergeTree. (Offsets may skip forward
 * within a partition: the validator writes in transactions, and each commit marker takes an offset.)
 */
export class DecisionChainer {
  private readonly partitions = new Map<number, PartitionChains>();

  /** The client `loadHeads` reads with; the sink calls `loadHeads` through its retrying writer. */
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
  ) {}

  /** Whether linking a batch of this partition from `firstOffset` needs the heads reloaded first. */
  needsHeads(partition: number, firstOffset: string): boolean {
    const chains = this.partitions.get(partition);
    return chains === undefined || BigInt(firstOffset) <= chains.lastOffset;
  }

  /** Loads the partition's heads from ClickHouse as of `firstOffset` (see the class comment). */
  async loadHeads(partition: number, firstOffset: string): Promise<void> {
    const heads = await this.storedHeads(partition, firstOffset);
    this.partitions.set(partition, { lastOffset: BigInt(firstOffset) - 1n, heads });
  }

  /**
   * Links `rows` (one partition's decisions, in offset order, after `needsHeads` was answered), each
   * hashed by `hash` (see BatchChain.link). Returns what advances the heads past them; until it is
   * called the heads stay put.
   */
  link(partition: number, lastOffset: string, rows: ChainedRow[], hash: (row: ChainedRow) => string): () => void {
    const batch = this.batch(partition);
    for (const row of rows) batch.link(row, hash);
    return () => batch.advance(lastOffset);
  }

  /**
   * Links one batch of the partition row by row, in offset order (after `needsHeads` was answered), so
   * each row can be encoded as soon as it is linked; call `advance` once the whole batch is.
   */
  batch(partition: number): BatchChain {
    const chains = this.partitions.get(partition);
    if (!chains) throw new Error(`chain heads of partition ${partition} are not loaded`);
    return new BatchChain(chains);
  }

  /** Forgets every partition's heads: after a rebalance another sink may have extended the chains. */
  forgetAll(): void {
    this.partitions.clear();
  }

  /** Forgets a partition's heads (a batch was not stored); its next batch reloads them. */
  forget(partition: number): void {
    this.partitions.delete(partition);
  }

  private async storedHeads(partition: number, beforeOffset: string): Promise<Map<string, ChainHead>> {
    const result = await this.client.query({
      query: `SELECT agent_id, max(chain_seq) AS seq, argMax(chain_hash, chain_seq) AS hash
        FROM ${this.database}.decisions
        WHERE kafka_partition = ${Number(partition)} AND kafka_offset < ${BigInt(beforeOffset).toString()}
        GROUP BY agent_id`,
      format: "JSONEachRow",
    });
    const heads = new Map<string, ChainHead>();
    for (const row of (await result.json()) as Array<{ agent_id: string; seq: string | number; hash: string }>) {
      // Rows stored before the chain existed have seq 0 and no hash: their agents start a chain afresh.
      const seq = Number(row.seq);
      heads.set(row.agent_id, seq === 0 ? { seq: 0, hash: CHAIN_GENESIS } : { seq, hash: row.hash });
    }
    return heads;
  }
}

/** One batch's links: the heads it moved stay its own until `advance`, so a batch cut short moves nothing. */
export class BatchChain {
  private readonly moved = new Map<string, ChainHead>();

  constructor(private readonly chains: PartitionChains) {}

  /**
   * Places the row after the previous row of its agent (chain_seq, chain_prev), then has `hash` give
   * its chain hash: in the sink, the insert the row is added to (InsertRows.add), which hashes the
   * bytes it writes; elsewhere a ChainHasher.
   */
  link(row: ChainedRow, hash: (row: ChainedRow) => string): void {
    const head = this.moved.get(row.agent_id) ?? this.chains.heads.get(row.agent_id) ?? GENESIS_HEAD;
    row.chain_seq = head.seq + 1;
    row.chain_prev = head.hash;
    const chainHash = hash(row);
    row.chain_hash = chainHash;
    this.moved.set(row.agent_id, { seq: head.seq + 1, hash: chainHash });
  }

  /** The batch, up to `lastOffset`, is linked: the partition's heads move past it. */
  advance(lastOffset: string): void {
    for (const [agent, head] of this.moved) this.chains.heads.set(agent, head);
    this.chains.lastOffset = BigInt(lastOffset);
  }
}

const GENESIS_HEAD: ChainHead = { seq: 0, hash: CHAIN_GENESIS };

import type { ClickHouseClient } from "../../common/src/clickhouse-connection.js";
import { CHAIN_GENESIS, chainHash } from "../../common/src/trail-chain.js";

interface ChainHead {
  seq: number;
  hash: string;
}

interface PartitionChains {
  /** The offset the next batch of this partition must start at for `heads` to be current. */
  nextOffset: string;
  heads: Map<string, ChainHead>;
}

/**
 * Links each agent's decisions into its hash chain (see trail-chain.ts) as the sink stores them.
 *
 * The chain heads are kept per partition of the decisions topic, together with the offset they are
 * current up to. A batch that does not start there (the sink restarted, the partition moved to this
 * instance, or a batch was not stored) reloads that partition's heads from ClickHouse as of the
 * batch's first offset: the newest stored row of each agent below it. Rows stored beyond it but never
 * committed are then chained again from the same heads, in the same order, so they get the same
 * hashes and collapse with their first copies in the ReplacingMergeTree.
 */
export class DecisionChainer {
  private readonly partitions = new Map<number, PartitionChains>();

  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
  ) {}

  /**
   * Sets the chain columns of `rows` (one partition's decisions, in offset order). Returns what to call
   * once the rows are stored; until then the heads stay where they were.
   */
  async link(
    partition: number,
    firstOffset: string,
    nextOffset: string,
    rows: Array<Record<string, unknown> & { agent_id: string }>,
  ): Promise<() => void> {
    let chains = this.partitions.get(partition);
    if (chains?.nextOffset !== firstOffset) {
      chains = { nextOffset: firstOffset, heads: await this.storedHeads(partition, firstOffset) };
      this.partitions.set(partition, chains);
    }
    const moved = new Map<string, ChainHead>();
    for (const row of rows) {
      const head = moved.get(row.agent_id) ?? chains.heads.get(row.agent_id) ?? { seq: 0, hash: CHAIN_GENESIS };
      row.chain_seq = head.seq + 1;
      row.chain_prev = head.hash;
      row.chain_hash = chainHash(head.hash, row);
      moved.set(row.agent_id, { seq: head.seq + 1, hash: row.chain_hash as string });
    }
    const current = chains;
    return () => {
      for (const [agent, head] of moved) current.heads.set(agent, head);
      current.nextOffset = nextOffset;
    };
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

import { sqlString, type ClickHouseCapabilities, type ClickHouseClient } from "./clickhouse-connection.js";
import { formatTimestamp } from "./clickhouse-connection.js";
import { CHAIN_GENESIS, CHAINED_COLUMNS, ChainHasher, jsonChainHash } from "./trail-chain.js";
import { TrailColumns } from "./trail-columns.js";

/**
 * What broke an agent's chain, at the first row where it broke:
 * - `altered`: the row no longer matches its own hash (a column was changed after it was chained);
 * - `removed`: the numbering skips (rows between were deleted);
 * - `inserted`: a second row claims a place that is already taken;
 * - `relinked`: the row is intact but does not follow the row before it (rows moved, or a row was
 *   put in and the numbering redone).
 */
export type ChainProblemKind = "altered" | "removed" | "inserted" | "relinked";

export interface ChainProblem {
  agent_id: string;
  kind: ChainProblemKind;
  chain_seq: number;
  decision_id: string;
  detail: string;
}

export interface TrailVerification {
  agents: number;
  rows: number;
  problems: ChainProblem[];
  elapsedMs: number;
}

export interface TrailVerifyOptions {
  database: string;
  capabilities: ClickHouseCapabilities;
  agent?: string;
  /**
   * Verify only rows decided at or after this instant (epoch ms): each agent's first such row is
   * trusted as the start of its chain. Needed once retention has dropped the start of the chains.
   */
  sinceMs?: number;
}

interface ChainRow extends Record<string, unknown> {
  agent_id: string;
  decision_id: string;
  chain_seq: string | number;
  chain_prev: string;
  chain_hash: string;
}

interface AgentChain {
  agent: string;
  expectedSeq: number;
  previousHash: string;
  broken: boolean;
}

/**
 * Recomputes every agent's hash chain from the trail (`decisions FINAL`, one agent after another in
 * chain order) and reports the first problem of each broken chain. Streams the rows, so memory stays
 * flat however large the trail.
 */
export async function verifyTrail(client: ClickHouseClient, options: TrailVerifyOptions): Promise<TrailVerification> {
  const started = performance.now();
  const conditions = ["chain_seq > 0"];
  if (options.agent !== undefined) conditions.push(`agent_id = ${sqlString(options.agent)}`);
  if (options.sinceMs !== undefined) {
    conditions.push(`decided_at >= ${sqlString(formatTimestamp(options.sinceMs, options.capabilities))}`);
  }
  const decisions = (await TrailColumns.read(client, options.database)).of("decisions");
  const hasher = new ChainHasher((column) => decisions.writer(column));
  const columns = [...new Set([...CHAINED_COLUMNS, "chain_seq", "chain_prev", "chain_hash"])];
  // Rows as arrays where the server writes them (20.x and later): the embedded engine formats a million
  // of them in half the time of objects, which repeat every column name. 18.16 writes only objects.
  const compact = options.capabilities.compactJsonRows;
  const result = await client.query({
    query: `SELECT ${columns.join(", ")}
      FROM ${options.database}.decisions FINAL
      WHERE ${conditions.join(" AND ")}
      ORDER BY agent_id, chain_seq, decision_id`,
    format: compact ? "JSONCompactEachRow" : "JSONEachRow",
  });
  const rowOf = (item: { json<T>(): T }): ChainRow => {
    if (!compact) return item.json<ChainRow>();
    const values = item.json<unknown[]>();
    const row: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i += 1) row[columns[i]!] = values[i];
    return row as ChainRow;
  };

  const problems: ChainProblem[] = [];
  let rows = 0;
  let agents = 0;
  let chain: AgentChain | undefined;
  for await (const batch of result.stream()) {
    for (const item of batch) {
      const row = rowOf(item);
      rows += 1;
      if (chain?.agent !== row.agent_id) {
        agents += 1;
        chain = startChain(row, options.sinceMs !== undefined);
      }
      if (chain.broken) continue;
      const problem = checkLink(chain, row, hasher);
      if (problem) {
        chain.broken = true;
        problems.push({
          agent_id: row.agent_id,
          chain_seq: Number(row.chain_seq),
          decision_id: row.decision_id,
          ...problem,
        });
      }
    }
  }
  return { agents, rows, problems, elapsedMs: performance.now() - started };
}

function startChain(first: ChainRow, trustFirst: boolean): AgentChain {
  return trustFirst
    ? { agent: first.agent_id, expectedSeq: Number(first.chain_seq), previousHash: first.chain_prev, broken: false }
    : { agent: first.agent_id, expectedSeq: 1, previousHash: CHAIN_GENESIS, broken: false };
}

function checkLink(
  chain: AgentChain,
  row: ChainRow,
  hasher: ChainHasher,
): { kind: ChainProblemKind; detail: string } | undefined {
  const seq = Number(row.chain_seq);
  if (seq < chain.expectedSeq) {
    return { kind: "inserted", detail: `a second row claims place ${seq} in the chain` };
  }
  if (seq > chain.expectedSeq) {
    const missing = seq - chain.expectedSeq;
    return {
      kind: "removed",
      detail: `${missing} row${missing === 1 ? "" : "s"} missing before place ${seq} (expected place ${chain.expectedSeq})`,
    };
  }
  // Rows chained by earlier sinks hash JSON text (trail-chain.ts); either format proves the row intact.
  if (hasher.hash(row) !== row.chain_hash && jsonChainHash(row.chain_prev, row) !== row.chain_hash) {
    return { kind: "altered", detail: `the row at place ${seq} no longer matches its hash` };
  }
  if (row.chain_prev !== chain.previousHash) {
    return { kind: "relinked", detail: `the row at place ${seq} does not follow the row before it` };
  }
  chain.expectedSeq = seq + 1;
  chain.previousHash = row.chain_hash;
  return undefined;
}

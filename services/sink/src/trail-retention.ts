import {
  assertIdentifier,
  type ClickHouseCapabilities,
  type ClickHouseClient,
} from "@mandate/common/clickhouse-connection";

/** The trail tables with a retention, and the timestamp column each one ages by. */
export const RETENTION_TABLES = {
  decisions: "decided_at",
  reviews: "decided_at",
  dead_letters: "failed_at",
} as const;

export type RetentionTable = keyof typeof RETENTION_TABLES;

/** Days each table keeps its rows; a table not listed keeps them for ever. */
export type RetentionPolicy = Partial<Record<RetentionTable, number>>;

export interface RetentionOutcome {
  table: RetentionTable;
  days: number;
  /** `ttl`: the server drops rows itself; `partitions`: these monthly partitions were dropped now. */
  method: "ttl" | "partitions";
  droppedPartitions: string[];
}

/**
 * Applies the retention policy. Where the server has table TTL, each table gets
 * `TTL <column> + INTERVAL <days> DAY` and the server deletes expired rows during merges. Where it
 * has not (18.16), whole monthly partitions whose newest row is older than the retention are dropped
 * now, so rows live between `days` and `days` + one month; the sink calls this again every hour.
 *
 * Dropping the start of an agent's hash chain is expected here: verify such a trail with
 * `mandate trail verify --since <the retention horizon>`.
 */
export async function applyRetention(
  client: ClickHouseClient,
  database: string,
  capabilities: ClickHouseCapabilities,
  policy: RetentionPolicy,
  now = Date.now(),
): Promise<RetentionOutcome[]> {
  assertIdentifier(database);
  const outcomes: RetentionOutcome[] = [];
  for (const [table, days] of Object.entries(policy) as Array<[RetentionTable, number | undefined]>) {
    if (days === undefined) continue;
    if (!Number.isInteger(days) || days < 1) throw new RangeError(`retention of ${table} must be whole days ≥ 1`);
    const column = RETENTION_TABLES[table];
    if (capabilities.ttl) {
      // TTL needs a DateTime; DateTime64 columns are cut to the second.
      await client.command({
        query: `ALTER TABLE ${database}.${table} MODIFY TTL toDateTime(${column}) + INTERVAL ${days} DAY`,
      });
      outcomes.push({ table, days, method: "ttl", droppedPartitions: [] });
      continue;
    }
    const cutoffSeconds = Math.floor(now / 1000) - days * 86_400;
    const expired = await client.query({
      query: `SELECT toString(toYYYYMM(${column})) AS partition FROM ${database}.${table}
        GROUP BY partition HAVING max(toUInt32(${column})) < ${cutoffSeconds} ORDER BY partition`,
      format: "JSONEachRow",
    });
    const partitions = ((await expired.json()) as Array<{ partition: string }>).map((p) => p.partition);
    for (const partition of partitions) {
      if (!/^\d{6}$/.test(partition)) throw new Error(`unexpected partition ${partition} in ${table}`);
      await client.command({ query: `ALTER TABLE ${database}.${table} DROP PARTITION ${partition}` });
    }
    outcomes.push({ table, days, method: "partitions", droppedPartitions: partitions });
  }
  return outcomes;
}

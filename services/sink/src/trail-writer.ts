import type { InsertParams } from "@clickhouse/client";
import type { ClickHouseCapabilities, ClickHouseClient } from "../../common/src/clickhouse-connection.js";
import type { Logger } from "../../common/src/logger.js";

/** The tables the sink inserts into; the others are filled from `decisions` by materialized views. */
export type TrailTable = "decisions" | "dead_letters" | "agent_registrations" | "executions";

/**
 * Inserts rows into the trail, retrying with exponential backoff and jitter until ClickHouse takes
 * them. It never gives up on its own: the caller has not committed the offsets, so waiting is how
 * an outage pauses consumption without losing anything. `keepAlive` runs between attempts so the
 * consumer group does not evict a sink that is only waiting.
 */
export class TrailWriter {
  private failingSince: number | undefined;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
    private readonly capabilities: ClickHouseCapabilities,
    private readonly logger: Logger,
    private readonly maxRetryDelayMs: number,
  ) {}

  /** True while inserts are failing: the sink is degraded and its lag grows. */
  get degraded(): boolean {
    return this.failingSince !== undefined;
  }

  async insert(
    table: TrailTable,
    rows: readonly Record<string, unknown>[],
    keepAlive: () => Promise<void>,
    shouldContinue: () => boolean,
  ): Promise<boolean> {
    if (rows.length === 0) return true;
    const done = await this.untilDone(
      { event: "trail_insert_failed", table, rows: rows.length },
      () => this.client.insert({ table: `${this.database}.${table}`, ...insertBody(rows, this.capabilities) }),
      keepAlive,
      shouldContinue,
    );
    return done !== undefined;
  }

  /**
   * Runs `work` against ClickHouse until it succeeds, with the same backoff, degraded state and
   * keep-alive as an insert; undefined when the caller should stop (stopping, or lost the partition).
   */
  async untilDone<T>(
    context: { event: string } & Record<string, unknown>,
    work: () => Promise<T>,
    keepAlive: () => Promise<void>,
    shouldContinue: () => boolean,
  ): Promise<{ value: T } | undefined> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const value = await work();
        if (this.failingSince !== undefined) {
          this.logger.info(
            { event: "trail_recovered", outage_ms: Date.now() - this.failingSince },
            "ClickHouse answers again",
          );
          this.failingSince = undefined;
        }
        return { value };
      } catch (error) {
        this.failingSince ??= Date.now();
        const delay = Math.min(this.maxRetryDelayMs, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);
        this.logger.warn(
          { ...context, attempt, retry_in_ms: Math.round(delay), err: error },
          "ClickHouse request failed; retrying",
        );
        await new Promise((r) => setTimeout(r, delay));
        if (!shouldContinue()) return undefined;
        await keepAlive();
      }
    }
  }
}

/**
 * The body of an insert. Where the server parses compact rows (arrays in column order) they are sent
 * that way: the embedded engine stores them about half again as fast as objects, which repeat every
 * column name in every row. 18.16 knows only objects. Rows of one table come from one row builder
 * (trail-rows.ts), so the first row's keys are every row's columns.
 */
export function insertBody(
  rows: readonly Record<string, unknown>[],
  capabilities: ClickHouseCapabilities,
): Omit<InsertParams<never, unknown>, "table"> {
  if (!capabilities.compactJsonRows) return { values: rows, format: "JSONEachRow" };
  const columns = Object.keys(rows[0] ?? {});
  return {
    values: rows.map((row) => columns.map((column) => row[column])),
    format: "JSONCompactEachRow",
    columns: columns as [string, ...string[]],
  };
}

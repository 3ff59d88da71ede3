import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
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
    private readonly logger: Logger,
    private readonly maxRetryDelayMs: number,
  ) {}

  /** True while inserts are failing: the sink is degraded and its lag grows. */
  get degraded(): boolean {
    return this.failingSince !== undefined;
  }

  async insert(
    table: TrailTable,
    lines: InsertLines,
    keepAlive: () => Promise<void>,
    shouldContinue: () => boolean,
  ): Promise<boolean> {
    if (lines.count === 0) return true;
    const done = await this.untilDone(
      { event: "trail_insert_failed", table, rows: lines.count },
      () => lines.insertInto(this.client, `${this.database}.${table}`),
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
 * Rows of one table encoded for one insert as they arrive, so that no row object outlives its line:
 * keeping a whole batch of row objects until the insert made the sink spend noticeably more time in
 * garbage collection. Where the server parses compact rows (arrays in column order) they are written
 * that way, about 660 bytes per decision against 1,200 for objects, which repeat every column name;
 * 18.16 knows only objects. Rows of one table come from one row builder (trail-rows.ts), so the first
 * row's keys are every row's columns.
 */
export class InsertLines {
  private columns: string[] | undefined;
  private readonly lines: string[] = [];

  constructor(private readonly capabilities: ClickHouseCapabilities) {}

  add(row: Record<string, unknown>): void {
    const columns = (this.columns ??= Object.keys(row));
    this.lines.push(JSON.stringify(this.capabilities.compactJsonRows ? columns.map((column) => row[column]) : row));
  }

  get count(): number {
    return this.lines.length;
  }

  /** Inserts the lines into `table` (database-qualified). */
  async insertInto(client: ClickHouseClient, table: string): Promise<void> {
    if (this.columns === undefined) return;
    const format = this.capabilities.compactJsonRows ? "JSONCompactEachRow" : "JSONEachRow";
    const result = await client.exec({
      query: `INSERT INTO ${table} (${this.columns.join(", ")}) FORMAT ${format}`,
      values: Readable.from([`${this.lines.join("\n")}\n`]),
    });
    // The answer to an insert is empty, but its stream must be read for the connection to be reused.
    result.stream.resume();
    await finished(result.stream);
  }
}

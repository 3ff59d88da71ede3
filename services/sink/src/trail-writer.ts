import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { embeddedInsertDir, sqlString, type ClickHouseClient } from "@mandate/common/clickhouse-connection";
import { ClickHouseRequestError } from "./clickhouse-error.js";
import { MandateError } from "@mandate/contracts";
import type { Logger } from "@mandate/common/logger";
import { RowBinaryBuffer, type ColumnWriter } from "@mandate/common/row-binary";
import { CHAIN_HASHED_COLUMNS, chainHashOf } from "@mandate/common/trail-chain";
import type { TrailTableColumns } from "@mandate/common/trail-columns";

/** The tables the sink inserts into; the others are filled from `decisions` by materialized views, or are views of it. */
export type TrailTable = "decisions" | "dead_letters" | "agent_registrations" | "executions";

/**
 * Inserts rows into the trail, retrying with exponential backoff and jitter until ClickHouse takes
 * them. It never gives up on its own: the caller has not committed the offsets, so waiting is how
 * an outage pauses consumption without losing anything. `keepAlive` runs between attempts so the
 * consumer group does not evict a sink that is only waiting.
 *
 * Failures are classified by the server's error code (ClickHouseRequestError), never by message text.
 * A retriable one (no answer, overload, a timeout) is an outage: a warning, and backoff from 100 ms.
 * A non-retriable one (an unknown table, a type mismatch, a refused login) is a rejection that only an
 * operator can end: an error each time, and attempts only at the longest delay.
 *
 * NOTE: a rejected insert is still tried again rather than dropped or dead-lettered. The trail is the
 * audit record and the batch's offsets are not committed, so waiting (degraded, /readyz 503) loses
 * nothing, while dropping the batch would lose decisions from the trail for good.
 */
export class TrailWriter {
  private failingSince: number | undefined;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly logger: Logger,
    private readonly maxRetryDelayMs: number,
  ) {}

  /** True while inserts are failing: the sink is degraded and its lag grows. */
  get degraded(): boolean {
    return this.failingSince !== undefined;
  }

  async insert(
    table: TrailTable,
    rows: InsertRows,
    keepAlive: () => Promise<void>,
    shouldContinue: () => boolean,
  ): Promise<boolean> {
    if (rows.count === 0) return true;
    const done = await this.untilDone(
      { event: "trail_insert_failed", table, rows: rows.count },
      () => rows.insertInto(this.client),
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
        const failure = error instanceof MandateError ? error : ClickHouseRequestError.from(error);
        const code = failure instanceof ClickHouseRequestError ? { code: failure.code, type: failure.type } : {};
        if (failure.retriable) {
          const delay = Math.min(this.maxRetryDelayMs, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);
          this.logger.warn(
            { ...context, ...code, attempt, retriable: true, retry_in_ms: Math.round(delay), err: error },
            "ClickHouse request failed; retrying",
          );
          await new Promise((r) => setTimeout(r, delay));
        } else {
          this.logger.error(
            { ...context, ...code, attempt, retriable: false, retry_in_ms: this.maxRetryDelayMs, err: error },
            "ClickHouse refused the request; it needs an operator, and is tried again only at the longest delay",
          );
          await new Promise((r) => setTimeout(r, this.maxRetryDelayMs));
        }
        if (!shouldContinue()) return undefined;
        await keepAlive();
      }
    }
  }
}

/**
 * Rows of one table encoded for one insert as they arrive, in ClickHouse's RowBinary format, so that
 * no row object outlives its encoding (keeping a batch of row objects until the insert made the sink
 * spend noticeably more time in garbage collection). Rows of one table come from one row builder
 * (trail-rows.ts), so the first row's keys are every row's columns.
 *
 * A row with a `chain_hash` column is chained (trail-chain.ts): its keys begin with the hashed
 * columns, and its chain hash is the SHA-256 of the bytes just written for them, set into the row and
 * written as its `chain_hash`. Hashing the bytes the insert writes anyway costs far less than encoding
 * the row a second time for the hash.
 */
export class InsertRows {
  private columns: string[] | undefined;
  private writers: ColumnWriter[] = [];
  /** Where `chain_hash` is among the columns; -1 for a table without chains. */
  private chainHashAt = -1;
  private readonly body = new RowBinaryBuffer();
  private rows = 0;
  /** Set by the first insert: a row added later would never be stored, yet committed. */
  private sent = false;

  constructor(private readonly table: TrailTableColumns) {}

  /** Adds the row; for a chained row, sets and returns its chain hash. */
  add(row: Record<string, unknown>): string | undefined {
    if (this.sent) throw new Error("rows added to an insert already sent");
    const columns = this.columns ?? this.setColumns(Object.keys(row));
    const { writers, body, chainHashAt } = this;
    const start = body.length;
    let hash: string | undefined;
    for (let i = 0; i < columns.length; i += 1) {
      if (i === chainHashAt) {
        hash = chainHashOf(body.bytes(start));
        row.chain_hash = hash;
      }
      writers[i]!(body, row[columns[i]!]);
    }
    this.rows += 1;
    return hash;
  }

  private setColumns(columns: string[]): string[] {
    const chainHashAt = columns.indexOf("chain_hash");
    const hashed = columns.slice(0, chainHashAt);
    if (chainHashAt !== -1 && hashed.join() !== CHAIN_HASHED_COLUMNS.join()) {
      throw new Error(`a chained row must begin with ${CHAIN_HASHED_COLUMNS.join(", ")}; got ${hashed.join(", ")}`);
    }
    this.columns = columns;
    this.writers = columns.map((column) => this.table.writer(column));
    this.chainHashAt = chainHashAt;
    return columns;
  }

  get count(): number {
    return this.rows;
  }

  /**
   * Inserts the rows. A server takes the bytes as the body of `INSERT … FORMAT RowBinary`. The
   * embedded engine's client passes an insert's body through a JavaScript string, which binary data
   * does not survive, so there the bytes go to a file in its data directory and are inserted from it.
   */
  async insertInto(client: ClickHouseClient): Promise<void> {
    this.sent = true;
    if (this.columns === undefined) return;
    const into = `INSERT INTO ${this.table.name} (${this.columns.join(", ")})`;
    const dir = embeddedInsertDir(client);
    if (dir === undefined) {
      const result = await client.exec({
        query: `${into} FORMAT RowBinary`,
        values: Readable.from([this.body.bytes()]),
      });
      // The answer to an insert is empty, but its stream must be read for the connection to be reused.
      result.stream.resume();
      await finished(result.stream);
      return;
    }
    const file = path.join(dir, `${crypto.randomUUID()}.bin`);
    try {
      await fs.writeFile(file, this.body.bytes());
      await client.command({
        query: `${into} SELECT * FROM file(${sqlString(file)}, 'RowBinary', ${sqlString(this.table.structure(this.columns))})`,
      });
    } finally {
      await fs.rm(file, { force: true });
    }
  }
}

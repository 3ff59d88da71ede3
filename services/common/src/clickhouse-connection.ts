import fs from "node:fs";
import path from "node:path";
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from "@clickhouse/client";
import type { ClickHouseTarget } from "./clickhouse-target.js";
import { ConfigError } from "@mandate/contracts";

export type { ClickHouseClient };

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>["connection"]>;

/**
 * One `@clickhouse/client` interface over both modes: the embedded engine (chdb) bound to a data
 * directory, or a server over HTTP.
 *
 * NOTE: chdb locks its data directory to one process. In embedded mode the process that owns the
 * trail (the sink) must also answer every read, so it hands out its client rather than others opening one.
 */
export async function openClickHouse(target: ClickHouseTarget): Promise<ClickHouseClient> {
  if (target.mode === "server") {
    return createClient({
      url: target.url,
      username: target.username ?? "default",
      password: target.password ?? "",
      ...(target.caFile === undefined ? {} : { tls: { ca_cert: readCa(target.caFile) } }),
      request_timeout: 30_000,
      // Failures reach the caller as errors, and the trail writer logs them once, with context.
      log: { level: ClickHouseLogLevel.OFF },
    });
  }
  const { createChdbConnection } = await import("chdb/connection");
  // NOTE: chdb types its connection against its own copy of @clickhouse/client-common; the runtime contract is the same.
  const connection = createChdbConnection({ path: target.path }) as unknown as ClientConnection;
  const client = createClient({ connection, log: { level: ClickHouseLogLevel.OFF } });
  embeddedPaths.set(client, target.path);
  // Insert files (see the sink's InsertRows) left by a process that died mid-insert: chdb has just
  // locked the directory to this process, so none of them belongs to a live insert. The directory is
  // made again, empty, here once rather than before every insert.
  const insertDir = embeddedInsertDir(client)!;
  fs.rmSync(insertDir, { recursive: true, force: true });
  fs.mkdirSync(insertDir, { recursive: true });
  return client;
}

function readCa(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    throw new ConfigError(`cannot read the ClickHouse CA ${file} (CLICKHOUSE_CA_FILE): ${(error as Error).message}`, {
      cause: error,
    });
  }
}

const embeddedPaths = new WeakMap<ClickHouseClient, string>();

/** Where an embedded-engine client's inserts stage their bytes; undefined for a server's client. */
export function embeddedInsertDir(client: ClickHouseClient): string | undefined {
  const dataPath = embeddedPaths.get(client);
  return dataPath === undefined ? undefined : path.join(dataPath, "mandate-inserts");
}

/** What the connected server can do; column types are chosen from it so one schema runs on 18.16 and 26.x. */
export interface ClickHouseCapabilities {
  version: string;
  /** DateTime64 arrived in 20.1; before it, timestamps are whole seconds. */
  dateTime64: boolean;
  /** LowCardinality is stable from 19.x; 18.16 has it only as an experimental setting. */
  lowCardinality: boolean;
  /** Query parameters ({name:Type}) arrived in 19.x. */
  queryParameters: boolean;
  /** Column compression codecs (CODEC(…)) arrived in 19.x. */
  codecs: boolean;
  /** Table TTL arrived in 19.x; without it, retention drops whole expired partitions. */
  ttl: boolean;
  /** JSONCompactEachRow (rows as arrays): 18.16 answers "Unknown format"; taken as present from 20.x, like DateTime64. */
  compactJsonRows: boolean;
  /** Compact data parts (every column in one file) and the min_bytes_for_wide_part setting arrived in 20.3. */
  compactParts: boolean;
}

export async function detectCapabilities(client: ClickHouseClient): Promise<ClickHouseCapabilities> {
  const result = await client.query({ query: "SELECT version() AS version", format: "JSONEachRow" });
  const [row] = (await result.json()) as Array<{ version: string }>;
  const version = row?.version ?? "0";
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return {
    version,
    dateTime64: major >= 20,
    lowCardinality: major >= 19,
    queryParameters: major >= 19,
    codecs: major >= 20,
    ttl: major >= 20,
    compactJsonRows: major >= 20,
    compactParts: major > 20 || (major === 20 && minor >= 3),
  };
}

/** A timestamp as ClickHouse parses it in every version we support, in UTC (for SQL text; rows carry epoch milliseconds). */
export function formatTimestamp(epochMs: number, capabilities: ClickHouseCapabilities): string {
  const iso = new Date(epochMs).toISOString(); // 2026-01-01T00:00:00.042Z
  const text = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
  return capabilities.dateTime64 ? `${text}.${iso.slice(20, 23)}` : text;
}

/** Epoch milliseconds of a timestamp as `formatTimestamp` writes it (UTC, milliseconds optional). */
export function timestampMillis(text: string): number {
  // Read digit by digit: trail verify's JSON pass parses three of these per row, and this allocates nothing.
  const withMillis = text.length === 23 && text[19] === ".";
  const epoch = Date.UTC(
    digitsAt(text, 0, 4),
    digitsAt(text, 5, 2) - 1,
    digitsAt(text, 8, 2),
    digitsAt(text, 11, 2),
    digitsAt(text, 14, 2),
    digitsAt(text, 17, 2),
    withMillis ? digitsAt(text, 20, 3) : 0,
  );
  const shaped = (text.length === 19 || withMillis) && text[4] === "-" && text[7] === "-" && text[10] === " ";
  if (!shaped || text[13] !== ":" || text[16] !== ":" || !Number.isFinite(epoch)) {
    throw new TypeError(`not a trail timestamp: ${text}`);
  }
  return epoch;
}

/** The decimal number in `count` characters of `text` from `from`; NaN if one is not a digit. */
function digitsAt(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i += 1) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return NaN;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * A string literal for SQL text. Used instead of query parameters because 18.16 has none; every
 * value that reaches SQL text from outside goes through here.
 */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** A database name we create; restricted to identifier characters so it never needs quoting. */
export function assertIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) throw new Error(`not a safe ClickHouse identifier: ${name}`);
  return name;
}

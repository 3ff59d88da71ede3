import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  assertIdentifier,
  detectCapabilities,
  sqlString,
  type ClickHouseCapabilities,
  type ClickHouseClient,
} from "@mandate/common/clickhouse-connection";

const migrationDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../schemas/clickhouse");

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** `NNNN_name.sql` files in order. */
export function readMigrations(dir = migrationDir): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 4)),
      name: file.slice(5, -4),
      sql: fs.readFileSync(path.join(dir, file), "utf8"),
    }));
}

/**
 * Placeholders keep one schema for every server: column names and query semantics are identical,
 * only the physical types and storage settings follow what the server supports. A line that starts
 * with `{{compact_parts_only}}` (one whole statement) is left out where the server has no compact parts.
 */
export function renderMigration(sql: string, database: string, capabilities: ClickHouseCapabilities): string {
  return sql
    .replace(/^\{\{compact_parts_only\}\}(.*)$/gm, capabilities.compactParts ? "$1" : "")
    .replaceAll("{{database}}", database)
    .replaceAll("{{timestamp_ms}}", capabilities.dateTime64 ? "DateTime64(3, 'UTC')" : "DateTime('UTC')")
    .replaceAll("{{low_cardinality_string}}", capabilities.lowCardinality ? "LowCardinality(String)" : "String")
    .replaceAll("{{codec_text}}", capabilities.codecs ? "CODEC(ZSTD(3))" : "")
    .replaceAll("{{codec_time}}", capabilities.codecs ? "CODEC(Delta, ZSTD(1))" : "");
}

/** Statements are separated by a semicolon at the end of a line; comments are stripped first. */
export function splitStatements(sql: string): string[] {
  return sql
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("--"))
    .join("\n")
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Applies every migration not yet recorded in `<database>.schema_migrations`, in order. Each file is
 * idempotent (IF NOT EXISTS), so a crash between a file and its record only means it runs again.
 */
export async function migrateTrail(
  client: ClickHouseClient,
  database: string,
  migrations: Migration[] = readMigrations(),
): Promise<{ applied: number[]; capabilities: ClickHouseCapabilities }> {
  assertIdentifier(database);
  const capabilities = await detectCapabilities(client);
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${database}.schema_migrations
      (version UInt32, name String, checksum String, applied_at DateTime('UTC'))
      ENGINE = MergeTree ORDER BY version`,
  });
  const done = await client.query({
    query: `SELECT version FROM ${database}.schema_migrations`,
    format: "JSONEachRow",
  });
  const appliedBefore = new Set(((await done.json()) as Array<{ version: number }>).map((r) => Number(r.version)));
  const applied: number[] = [];
  for (const migration of migrations) {
    if (appliedBefore.has(migration.version)) continue;
    for (const statement of splitStatements(renderMigration(migration.sql, database, capabilities))) {
      if (await addsExistingColumn(client, statement)) continue;
      await client.command({ query: statement });
    }
    const checksum = crypto.createHash("sha256").update(migration.sql).digest("hex");
    await client.command({
      query: `INSERT INTO ${database}.schema_migrations (version, name, checksum, applied_at) VALUES
        (${migration.version}, ${sqlString(migration.name)}, ${sqlString(checksum)}, now())`,
    });
    applied.push(migration.version);
  }
  return { applied, capabilities };
}

const ADD_COLUMN = /^ALTER\s+TABLE\s+(\w+)\.(\w+)\s+ADD\s+COLUMN\s+(\w+)\s/i;

/**
 * True for `ALTER TABLE db.t ADD COLUMN c …` when `c` is already there. 18.16 has no
 * `ADD COLUMN IF NOT EXISTS`, so the migrator asks system.columns instead; one column per statement.
 */
async function addsExistingColumn(client: ClickHouseClient, statement: string): Promise<boolean> {
  const match = ADD_COLUMN.exec(statement);
  if (!match) return false;
  const [, database, table, column] = match as unknown as [string, string, string, string];
  const result = await client.query({
    query: `SELECT count() AS n FROM system.columns
      WHERE database = ${sqlString(database)} AND table = ${sqlString(table)} AND name = ${sqlString(column)}`,
    format: "JSONEachRow",
  });
  const [row] = (await result.json()) as Array<{ n: number | string }>;
  return Number(row?.n ?? 0) > 0;
}

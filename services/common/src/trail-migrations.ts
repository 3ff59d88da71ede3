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
} from "./clickhouse-connection.js";

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
 * only the physical types follow what the server supports.
 */
export function renderMigration(sql: string, database: string, capabilities: ClickHouseCapabilities): string {
  return sql
    .replaceAll("{{database}}", database)
    .replaceAll("{{timestamp_ms}}", capabilities.dateTime64 ? "DateTime64(3, 'UTC')" : "DateTime('UTC')")
    .replaceAll("{{low_cardinality_string}}", capabilities.lowCardinality ? "LowCardinality(String)" : "String");
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

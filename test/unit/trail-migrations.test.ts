import { describe, expect, it } from "vitest";
import { formatTimestamp, sqlString } from "@mandate/common/clickhouse-connection";
import { readMigrations, renderMigration, splitStatements } from "@mandate/sink/trail-migrations";
import { DEBIAN_CLICKHOUSE, MODERN_CLICKHOUSE } from "../support/clickhouse-capabilities.js";

const modern = MODERN_CLICKHOUSE;
const debian = DEBIAN_CLICKHOUSE;

describe("trail migrations", () => {
  it("are numbered, in order, and idempotent", () => {
    const migrations = readMigrations();
    expect(migrations.length).toBeGreaterThan(0);
    expect(migrations.map((m) => m.version)).toEqual([...migrations.map((m) => m.version)].sort((a, b) => a - b));
    for (const m of migrations) {
      // ADD COLUMN has no IF NOT EXISTS on 18.16: the migrator checks system.columns, one column per
      // statement. MODIFY COLUMN to a type and codec is idempotent by itself, and so are MODIFY SETTING
      // to a value and DROP … IF EXISTS.
      for (const statement of splitStatements(m.sql)) {
        expect(statement).toMatch(
          /IF NOT EXISTS|^DROP TABLE IF EXISTS \{\{database\}\}\.\w+$|^ALTER TABLE \{\{database\}\}\.\w+ (ADD|MODIFY) COLUMN \w+ [^,]+$|^(\{\{compact_parts_only\}\})?ALTER TABLE \{\{database\}\}\.\w+ MODIFY SETTING \w+ = \d+$/,
        );
      }
    }
  });

  it("choose column types from the server's capabilities, keeping names", () => {
    const sql = readMigrations()[0]!.sql;
    const onModern = renderMigration(sql, "db", modern);
    const onDebian = renderMigration(sql, "db", debian);
    expect(onModern).toContain("decided_at DateTime64(3, 'UTC')");
    expect(onModern).toContain("verdict LowCardinality(String)");
    expect(onDebian).toContain("decided_at DateTime('UTC')");
    expect(onDebian).toContain("verdict String");
    expect(onDebian).not.toContain("{{");
  });

  it("keep inserted parts compact only where the server has compact parts", () => {
    const sql = readMigrations().find((m) => m.name === "compact_inserted_parts")!.sql;
    expect(splitStatements(renderMigration(sql, "db", modern))).toEqual([
      "ALTER TABLE db.decisions MODIFY SETTING min_bytes_for_wide_part = 67108864",
    ]);
    expect(splitStatements(renderMigration(sql, "db", debian))).toEqual([]);
  });

  it("formats timestamps in UTC, with milliseconds only where the server keeps them", () => {
    const at = Date.UTC(2026, 10, 22, 8, 5, 3, 42);
    expect(formatTimestamp(at, modern)).toBe("2026-11-22 08:05:03.042");
    expect(formatTimestamp(at, debian)).toBe("2026-11-22 08:05:03");
    // The text of the last second is reused: alternating seconds and every width of milliseconds.
    const second = Date.UTC(2026, 10, 22, 23, 59, 59);
    for (const [offset, text] of [
      [0, "2026-11-22 23:59:59.000"],
      [7, "2026-11-22 23:59:59.007"],
      [1_000, "2026-11-23 00:00:00.000"],
      [70, "2026-11-22 23:59:59.070"],
      [999, "2026-11-22 23:59:59.999"],
      [-1, "2026-11-22 23:59:58.999"],
    ] as const) {
      expect(formatTimestamp(second + offset, modern)).toBe(text);
    }
  });

  it("quotes string literals so input cannot end them", () => {
    expect(sqlString("it's")).toBe("'it\\'s'");
    expect(sqlString("a\\' OR 1=1 --")).toBe("'a\\\\\\' OR 1=1 --'");
  });
});

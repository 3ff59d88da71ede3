import { afterAll, describe, expect, it } from "vitest";
import { openClickHouse, type ClickHouseClient } from "../../services/common/src/clickhouse-connection.js";
import { migrateTrail, readMigrations } from "../../services/common/src/trail-migrations.js";
import { isolatedDatabase, sharedStack } from "../support/shared-stack.js";

describe.each(["server", "embedded"] as const)("trail migrations on ClickHouse %s", (mode) => {
  const stack = sharedStack(mode);
  const database = isolatedDatabase(`migrations_${mode}`);
  let client: ClickHouseClient;

  afterAll(async () => {
    await client?.close();
    stack.cleanup();
  });

  it("applies every migration from empty, records it, and re-applies as a no-op", async () => {
    client = await openClickHouse(stack.clickhouse!);
    const first = await migrateTrail(client, database);
    expect(first.applied).toEqual(readMigrations().map((m) => m.version));

    const second = await migrateTrail(client, database);
    expect(second.applied).toEqual([]);

    const recorded = await client.query({
      query: `SELECT version FROM ${database}.schema_migrations ORDER BY version`,
      format: "JSONEachRow",
    });
    expect(((await recorded.json()) as Array<{ version: number }>).map((r) => Number(r.version))).toEqual(
      first.applied,
    );

    // A crash after a migration's statements but before its record runs them again: every statement
    // must be a no-op the second time, so run them all again as if nothing had been recorded.
    const again = await migrateTrail(
      client,
      database,
      readMigrations().map((m) => ({ ...m, version: m.version + 1000 })),
    );
    expect(again.applied).toEqual(first.applied.map((v) => v + 1000));

    const columns = await client.query({
      query: `SELECT name, type FROM system.columns WHERE database = '${database}' AND table = 'decisions'`,
      format: "JSONEachRow",
    });
    const types = new Map(
      ((await columns.json()) as Array<{ name: string; type: string }>).map((c) => [c.name, c.type]),
    );
    // Same column names on every server; the physical type follows what the server supports.
    if (first.capabilities.dateTime64) {
      expect(types.get("decided_at")).toBe("DateTime64(3, 'UTC')");
      expect(types.get("verdict")).toBe("LowCardinality(String)");
    } else {
      expect(types.get("decided_at")).toBe("DateTime('UTC')");
      expect(types.get("verdict")).toBe("String");
    }
    expect(types.get("reason_codes")).toBe("Array(String)");
  });
});

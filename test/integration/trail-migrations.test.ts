import { afterAll, describe, expect, it } from "vitest";
import { openClickHouse, type ClickHouseClient } from "@mandate/common/clickhouse-connection";
import { migrateTrail, readMigrations, renderMigration } from "@mandate/sink/trail-migrations";
import { decisionRow } from "@mandate/sink/trail-rows";
import { TrailColumns } from "@mandate/common/trail-columns";
import { InsertRows } from "@mandate/sink/trail-writer";
import { isolatedDatabase, sharedStack } from "../support/shared-stack.js";
import { sampleDecision } from "../support/trail-decisions.js";

/**
 * The copies 0001–0003 made before 0006 turned them into views, as they were created then (a
 * reviewer's decision carries the action again; the ReplacingMergeTree key collapsed it).
 */
const BEFORE_0006 = [
  `CREATE TABLE {{database}}.actions (action_id String, agent_id String, session_id String,
     session_task String, tool String, operation String, resource String, destination String,
     arguments_json String, intent String, proposed_at {{timestamp_ms}}, nonce String, key_id String,
     kafka_partition UInt32, kafka_offset UInt64, ingested_at {{timestamp_ms}})
   ENGINE = ReplacingMergeTree PARTITION BY toYYYYMM(proposed_at) ORDER BY (agent_id, action_id)`,
  `CREATE MATERIALIZED VIEW {{database}}.actions_mv TO {{database}}.actions AS SELECT action_id, agent_id,
     session_id, session_task, tool, operation, resource, destination, arguments_json, intent, proposed_at,
     nonce, key_id, kafka_partition, kafka_offset, ingested_at FROM {{database}}.decisions`,
  `CREATE TABLE {{database}}.flagged_per_hour (agent_id String, hour DateTime('UTC'), flagged UInt64)
   ENGINE = SummingMergeTree PARTITION BY toYYYYMM(hour) ORDER BY (agent_id, hour)`,
  `CREATE MATERIALIZED VIEW {{database}}.flagged_per_hour_mv TO {{database}}.flagged_per_hour AS
   SELECT agent_id, toStartOfHour(decided_at) AS hour, count() AS flagged FROM {{database}}.decisions
   WHERE verdict = 'flagged' GROUP BY agent_id, hour`,
];

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

  it("turns a trail made before 0006 into one whose actions and flagged counts are views, losing nothing", async () => {
    const upgraded = isolatedDatabase(`upgraded_${mode}`);
    client ??= await openClickHouse(stack.clickhouse!);
    const { capabilities } = await migrateTrail(
      client,
      upgraded,
      readMigrations().filter((m) => m.version < 6),
    );
    for (const statement of BEFORE_0006) {
      await client.command({ query: renderMigration(statement, upgraded, capabilities) });
    }
    /** Ten decided actions, and a reviewer's decision on the first of them (the same action again). */
    const store = async (from: number) => {
      const at = Date.now() - 60_000 + from;
      const decisions = Array.from({ length: 10 }, (_, i) => sampleDecision("agent-upgraded", at + i));
      const review = sampleDecision("agent-upgraded", at + 10, {
        action: decisions[0]!.action,
        verdict: "approved",
        supersedes: decisions[0]!.decision_id,
        reviewer: "reviewer@example.com",
        review_comment: "expected payee",
      });
      const insert = new InsertRows((await TrailColumns.read(client, upgraded)).of("decisions"));
      [...decisions, review].forEach((decision, i) =>
        insert.add(decisionRow(decision, { partition: 0, offset: String(from + i) }, Date.now())),
      );
      await insert.insertInto(client);
    };
    const counts = async () => {
      const result = await client.query({
        query: `SELECT toUInt32((SELECT uniqExact(action_id) FROM ${upgraded}.actions)) AS actions,
                  toUInt32((SELECT sum(flagged) FROM ${upgraded}.flagged_per_hour)) AS flagged,
                  toUInt32((SELECT countIf(verdict = 'flagged') FROM ${upgraded}.decisions)) AS flagged_decisions`,
        format: "JSONEachRow",
      });
      return ((await result.json()) as Array<Record<string, number>>)[0];
    };
    await store(0);
    const before = await counts();
    expect(before?.actions).toBe(10);
    expect(before?.flagged).toBe(before?.flagged_decisions);
    expect(before?.flagged).toBeGreaterThan(0);

    expect((await migrateTrail(client, upgraded)).applied).toEqual(
      readMigrations()
        .map((m) => m.version)
        .filter((version) => version >= 6),
    );
    const engines = await client.query({
      query: `SELECT name, engine FROM system.tables WHERE database = '${upgraded}'
        AND name IN ('actions', 'actions_mv', 'flagged_per_hour', 'flagged_per_hour_mv') ORDER BY name`,
      format: "JSONEachRow",
    });
    expect(await engines.json()).toEqual([
      { name: "actions", engine: "View" },
      { name: "flagged_per_hour", engine: "View" },
    ]);
    expect(await counts()).toEqual(before);
    // Each action once: the reviewer's decision on it is in `reviews`, not in `actions`.
    const rows = await client.query({ query: `SELECT count() AS n FROM ${upgraded}.actions`, format: "JSONEachRow" });
    expect(Number(((await rows.json()) as Array<{ n: string | number }>)[0]?.n)).toBe(10);

    // Decisions stored after the upgrade show through the views like the ones before.
    await store(20);
    const after = await counts();
    expect(after?.actions).toBe(20);
    expect(after?.flagged).toBe(after?.flagged_decisions);
  });
});

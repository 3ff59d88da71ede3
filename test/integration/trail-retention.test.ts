import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  openClickHouse,
  type ClickHouseCapabilities,
  type ClickHouseClient,
} from "@mandate/common/clickhouse-connection";
import { migrateTrail } from "@mandate/sink/trail-migrations";
import { applyRetention } from "@mandate/sink/trail-retention";
import { decisionRow } from "@mandate/sink/trail-rows";
import { isolatedDatabase, sharedStack } from "../support/shared-stack.js";
import { sampleDecision, storeRows } from "../support/trail-decisions.js";

const DAY = 86_400_000;

describe.each(["server", "embedded"] as const)("trail retention on ClickHouse %s", (mode) => {
  const stack = sharedStack(mode);
  const database = isolatedDatabase(`retention_${mode}`);
  let client: ClickHouseClient | undefined;
  let capabilities: ClickHouseCapabilities;
  const trail = () => client as ClickHouseClient;
  const now = Date.now();

  async function count(): Promise<number> {
    const result = await trail().query({
      query: `SELECT count() AS n FROM ${database}.decisions`,
      format: "JSONEachRow",
    });
    return Number(((await result.json()) as Array<{ n: string }>)[0]?.n);
  }

  beforeAll(async () => {
    client = await openClickHouse(stack.clickhouse!);
    ({ capabilities } = await migrateTrail(client, database));
    // Two rows in one month four months back, and one a day old: only the old month is past 30 days.
    const old = new Date(now - 120 * DAY);
    const oldMonth = Date.UTC(old.getUTCFullYear(), old.getUTCMonth(), 2);
    const rows = [oldMonth, oldMonth + DAY, now - DAY].map((at, i) =>
      decisionRow(sampleDecision("agent-retained", at), { partition: 0, offset: String(i) }, now),
    );
    await storeRows(trail(), database, "decisions", rows);
  });

  afterAll(async () => {
    await client?.close();
    stack.cleanup();
  });

  it("removes what is older than the retention and keeps the rest", async () => {
    expect(await count()).toBe(3);
    const [outcome] = await applyRetention(trail(), database, capabilities, { decisions: 30 }, now);
    if (capabilities.ttl) {
      expect(outcome).toMatchObject({ table: "decisions", method: "ttl" });
      const create = await trail().query({ query: `SHOW CREATE TABLE ${database}.decisions`, format: "TabSeparated" });
      expect(await create.text()).toMatch(/TTL toDateTime\(decided_at\) \+ (toIntervalDay\(30\)|INTERVAL 30 DAY)/);
      // The server applies TTL when it merges; force one instead of waiting.
      await trail().command({ query: `OPTIMIZE TABLE ${database}.decisions FINAL` });
    } else {
      expect(outcome).toMatchObject({ table: "decisions", method: "partitions" });
      expect(outcome?.droppedPartitions).toHaveLength(1);
    }
    expect(await count()).toBe(1);
    // Applying it again changes nothing.
    const [again] = await applyRetention(trail(), database, capabilities, { decisions: 30 }, now);
    expect(again?.droppedPartitions).toEqual([]);
    expect(await count()).toBe(1);
  });

  it("refuses a retention that is not whole days", async () => {
    await expect(applyRetention(trail(), database, capabilities, { decisions: 0 })).rejects.toThrow(/whole days/);
  });
});

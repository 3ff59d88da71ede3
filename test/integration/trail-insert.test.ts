import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatTimestamp, openClickHouse, type ClickHouseClient } from "@mandate/common/clickhouse-connection";
import { migrateTrail } from "@mandate/sink/trail-migrations";
import { decisionRow, registrationRow } from "@mandate/sink/trail-rows";
import { TrailColumns } from "@mandate/common/trail-columns";
import { InsertRows } from "@mandate/sink/trail-writer";
import { testRegistration } from "../support/registrations.js";
import { isolatedDatabase, sharedStack } from "../support/shared-stack.js";
import { sampleDecision } from "../support/trail-decisions.js";

describe.each(["server", "embedded"] as const)("the sink's RowBinary inserts on ClickHouse %s", (mode) => {
  const stack = sharedStack(mode);
  const database = isolatedDatabase(`insert_${mode}`);
  let client: ClickHouseClient;

  afterAll(async () => {
    await client?.close();
    stack.cleanup();
  });

  it("store every column exactly as the row gives it: text in any script, nulls, arrays, 64-bit offsets, timestamps", async () => {
    client = await openClickHouse(stack.clickhouse!);
    const { capabilities } = await migrateTrail(client, database);
    const columns = await TrailColumns.read(client, database);
    const at = Date.UTC(2026, 10, 22, 8, 5, 3, 42);
    const decision = sampleDecision("agent-ünïcode-代理", at, {
      registration_version: null,
      reviewer: "rëviewer",
      review_comment: "x".repeat(300),
      reasons: [
        { axis: "payload", code: "payload.secret", message: 'Ключ доступа 🔑 in "arguments"\n', severity: "critical" },
        { axis: "alignment", code: "alignment.low", message: "", severity: "suspicious" },
      ],
    });
    const row = decisionRow(decision, { partition: 5, offset: "9007199254740993" }, at + 1);
    Object.assign(row, { chain_seq: 7, chain_prev: "0".repeat(64), chain_hash: "f".repeat(64) });
    const decisions = new InsertRows(columns.of("decisions"));
    decisions.add(row);
    await decisions.insertInto(client);

    const registration = { ...testRegistration("agent-ünïcode-代理"), purpose: "Réconcilier les factures" };
    const registered = registrationRow(registration, { partition: 0, offset: "3" }, at);
    const registrations = new InsertRows(columns.of("agent_registrations"));
    registrations.add(registered);
    await registrations.insertInto(client);

    const read = async (table: string, names: string[]) => {
      const result = await client.query({
        query: `SELECT ${names.map((n) => `toString(${n}) AS ${n}`).join(", ")} FROM ${database}.${table}`,
        format: "JSONEachRow",
      });
      return ((await result.json()) as Array<Record<string, string>>)[0];
    };
    const decisionColumns = Object.keys(row).filter((c) => !c.startsWith("reason_"));
    const stored = await read("decisions", decisionColumns);
    for (const column of decisionColumns) {
      const value = (row as Record<string, unknown>)[column];
      // Rows hold timestamps as epoch milliseconds; ClickHouse gives them back as text.
      const expected =
        value === null ? null : column.endsWith("_at") ? formatTimestamp(value as number, capabilities) : String(value);
      expect([column, stored?.[column]]).toEqual([column, expected]);
    }
    const arrays = await client.query({
      query: `SELECT reason_axes, reason_codes, reason_severities, reason_messages FROM ${database}.decisions`,
      format: "JSONEachRow",
    });
    expect((await arrays.json())[0]).toEqual({
      reason_axes: row.reason_axes,
      reason_codes: row.reason_codes,
      reason_severities: row.reason_severities,
      reason_messages: row.reason_messages,
    });
    const registrationStored = await read("agent_registrations", ["agent_id", "purpose", "version", "retired"]);
    expect(registrationStored).toEqual({
      agent_id: registered.agent_id,
      purpose: registered.purpose,
      version: String(registered.version),
      retired: String(registered.retired),
    });
  });

  it("store an insert larger than ClickHouse's default Wide threshold as one Compact part, where the server has them", async () => {
    // 18.16 writes every part Wide and its system.parts has no part_type.
    if (stack.clickhouse?.mode !== "embedded") return;
    await migrateTrail(client, database);
    const columns = await TrailColumns.read(client, database);
    // A month of its own: no other part of the suite's rows to merge with.
    const at = Date.UTC(2026, 0, 15, 9, 0, 0);
    const insert = new InsertRows(columns.of("decisions"));
    for (let i = 0; i < 30_000; i += 1) {
      insert.add(decisionRow(sampleDecision(`agent-${i % 100}`, at + i), { partition: 1, offset: String(i) }, at));
    }
    await insert.insertInto(client);
    const parts = await client.query({
      query: `SELECT part_type, rows, data_uncompressed_bytes AS bytes FROM system.parts
        WHERE database = '${database}' AND table = 'decisions' AND active AND partition_id = '202601'`,
      format: "JSONEachRow",
    });
    const [part] = (await parts.json()) as Array<{ part_type: string; rows: string | number; bytes: string | number }>;
    expect(Number(part?.rows)).toBe(30_000);
    // Above the 10 MiB at which ClickHouse would write it Wide without migration 0007.
    expect(Number(part?.bytes)).toBeGreaterThan(10 * 1024 * 1024);
    expect(part?.part_type).toBe("Compact");
  });

  it("leave no insert file behind in the embedded engine's data directory, and clear one a crash left", async () => {
    if (stack.clickhouse?.mode !== "embedded") return;
    const dir = path.join(stack.clickhouse.path, "mandate-inserts");
    expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([]);

    await client.close();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "left-by-a-crash.bin"), "x");
    client = await openClickHouse(stack.clickhouse);
    expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([]);
  });
});

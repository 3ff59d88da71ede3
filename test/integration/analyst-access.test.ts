import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANALYST } from "../../infra/src/clickhouse-server-process.js";
import { openClickHouse, type ClickHouseClient } from "@mandate/common/clickhouse-connection";
import { migrateTrail } from "@mandate/sink/trail-migrations";
import { sharedStack } from "../support/shared-stack.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function runMandate(args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [path.join(repoRoot, "services/cli/bin/mandate.mjs"), ...args],
      { cwd: repoRoot, env, timeout: 60_000 },
      (error, _stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stderr }),
    );
  });
}

/** The read-only analyst login of the server the project's scripts start (docker-compose creates the same). */
describe("the analyst login", () => {
  const stack = sharedStack("server");
  const url = stack.clickhouse?.mode === "server" ? stack.clickhouse.url : "";
  let admin: ClickHouseClient | undefined;
  const analyst = createClient({ url, username: ANALYST.user, password: ANALYST.password });

  beforeAll(async () => {
    admin = await openClickHouse({ mode: "server", url });
    await migrateTrail(admin, ANALYST.database);
  });

  afterAll(async () => {
    await analyst.close();
    await admin?.close();
  });

  it("reads the trail", async () => {
    const result = await analyst.query({
      query: `SELECT count() AS n FROM ${ANALYST.database}.decisions`,
      format: "JSONEachRow",
    });
    expect(await result.json()).toHaveLength(1);
  });

  it("runs the saved queries and ad-hoc SQL through mandate trail query", async () => {
    const env = {
      ...process.env,
      CLICKHOUSE_URL: url,
      CLICKHOUSE_USER: ANALYST.user,
      CLICKHOUSE_PASSWORD: ANALYST.password,
      MANDATE_CLICKHOUSE_DATABASE: ANALYST.database,
    };
    for (const args of [
      ["trail", "query", "top-reasons"],
      ["trail", "query", "--sql", `SELECT count() AS n FROM ${ANALYST.database}.decisions`],
      ["trail", "verify"],
    ]) {
      const { code, stderr } = await runMandate(args, env);
      expect({ args, code, stderr }).toEqual({ args, code: 0, stderr: "" });
    }
  });

  it("cannot write to it, change it, or read another database", async () => {
    await expect(
      analyst.command({ query: `INSERT INTO ${ANALYST.database}.decisions (decision_id) VALUES ('forged')` }),
    ).rejects.toThrow(/readonly|Cannot execute query in readonly mode/i);
    await expect(analyst.command({ query: `DROP TABLE ${ANALYST.database}.decisions` })).rejects.toThrow(/readonly/i);
    await expect(
      analyst.query({ query: "SELECT count() FROM system.numbers LIMIT 1 SETTINGS readonly = 0" }),
    ).rejects.toThrow(/readonly/i);
    await expect(analyst.query({ query: "SELECT 1 FROM default.nonexistent" })).rejects.toThrow(/Access denied/);
  });
});

import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProposedAction, DecisionRecord, Verdict } from "@mandate/contracts";
import {
  openClickHouse,
  sqlString,
  type ClickHouseCapabilities,
  type ClickHouseClient,
} from "@mandate/common/clickhouse-connection";
import {
  AD_HOC_SETTINGS,
  runTrailQuery,
  runTrailSql,
  TrailQueryError,
  type TrailQueryArgs,
  type TrailResult,
} from "@mandate/cli/trail-queries";
import { migrateTrail, readMigrations, renderMigration, splitStatements } from "@mandate/sink/trail-migrations";
import { decisionRow } from "@mandate/sink/trail-rows";
import { storeRows } from "../support/trail-decisions.js";
import { isolatedDatabase, sharedStack } from "../support/shared-stack.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MINUTE = 60_000;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

// Agents; one name carries a quote and a backslash, so every query that takes an agent proves its escaping.
const STEADY = "agent-steady";
const OBRIEN = "agent-o'brien\\ops";
const NEWDEST = "agent-newdest";
const FRESH = "agent-fresh";

interface Seed {
  agent: string;
  at: number;
  verdict?: Verdict;
  destination?: string | null;
  reasons?: string[];
  latencyMs?: number;
}

let sequence = 0;

function decisionRecord(seed: Seed): DecisionRecord {
  sequence += 1;
  const latency = seed.latencyMs ?? 5;
  const action: ProposedAction = {
    action_id: `act-${sequence}`,
    agent_id: seed.agent,
    session_id: "session-1",
    session_task: null,
    tool: "http",
    operation: "post",
    resource: null,
    destination: seed.destination === undefined ? "api.example.com" : seed.destination,
    arguments_json: "{}",
    intent: null,
    proposed_at: seed.at - latency,
    nonce: `nonce-${sequence}`,
    key_id: null,
    signature: null,
  };
  return {
    decision_id: `dec-${sequence}`,
    action,
    verdict: seed.verdict ?? "approved",
    scores: { identity: 1, scope: 0, payload: 0, alignment: 1, drift: 0 },
    reasons: (seed.reasons ?? []).map((code) => ({
      axis: code.split(".")[0] as "scope",
      code,
      message: code,
      severity: "suspicious" as const,
    })),
    policy_version: "default@1",
    registration_version: 1,
    validator_id: "validator-test",
    decided_at: seed.at,
    expires_at: seed.at + MINUTE,
    supersedes: null,
    review_comment: null,
    redacted_arguments_json: null,
    reviewer: null,
    capability: null,
    signature: null,
  };
}

/** `p` quantile the way ClickHouse's `quantiles` gives it below its sample size: linear between ranks. */
function quantile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = p * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(low + 1, sorted.length - 1);
  return (sorted[low] as number) + (position - low) * ((sorted[high] as number) - (sorted[low] as number));
}

function utcSeconds(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 19).replace("T", " ");
}

function runCli(args: string[], env: Record<string, string | undefined>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const childEnv = { ...process.env, ...env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
    execFile(
      process.execPath,
      [path.join(repoRoot, "services/cli/bin/mandate.mjs"), ...args],
      { cwd: repoRoot, env: childEnv, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe.each(["server", "embedded"] as const)("trail queries on ClickHouse %s", (mode) => {
  const stack = sharedStack(mode);
  const database = isolatedDatabase(`queries_${mode}`);
  const now = Date.now();
  const hour0 = Math.floor(now / HOUR) * HOUR;
  const H1 = hour0 - 24 * HOUR;
  const H2 = H1 + HOUR;
  let client: ClickHouseClient | undefined;
  let capabilities: ClickHouseCapabilities;
  const records: DecisionRecord[] = [];
  const latencies = new Map<number, number[]>();
  const obrienRecent: DecisionRecord[] = [];

  const trail = () => client as ClickHouseClient;
  const query = (name: string, args: TrailQueryArgs = {}) => runTrailQuery(trail(), name, args, { database, now });
  const rowsOf = (result: TrailResult) => result.rows as Array<Record<string, unknown>>;

  function add(seed: Seed): DecisionRecord {
    const record = decisionRecord(seed);
    records.push(record);
    if (seed.at >= H1 && seed.at < H2 + HOUR) {
      const hour = Math.floor(seed.at / HOUR) * HOUR;
      latencies.set(hour, [...(latencies.get(hour) ?? []), seed.latencyMs ?? 5]);
    }
    return record;
  }

  async function insertDecisions(batch: DecisionRecord[]): Promise<void> {
    const rows = batch.map((d, i) => decisionRow(d, { partition: 0, offset: String(i) }, now));
    await storeRows(trail(), database, "decisions", rows);
  }

  beforeAll(async () => {
    client = await openClickHouse(stack.clickhouse!);
    ({ capabilities } = await migrateTrail(client, database));

    // History well before both windows: every agent but FRESH already knows api.example.com.
    for (const agent of [STEADY, OBRIEN, NEWDEST]) {
      for (let i = 0; i < 2; i += 1) add({ agent, at: now - 50 * DAY + i * MINUTE });
    }
    // Baseline window (8 to 35 days ago).
    for (let i = 0; i < 10; i += 1) {
      add({
        agent: STEADY,
        at: now - 20 * DAY + i * MINUTE,
        destination: i < 8 ? "api.example.com" : "docs.example.com", // docs: first seen inside the baseline
        verdict: i === 0 ? "flagged" : "approved",
        reasons: i === 0 ? ["drift.unusual_destination"] : [],
      });
      add({ agent: OBRIEN, at: now - 21 * DAY + i * MINUTE });
      add({ agent: NEWDEST, at: now - 22 * DAY + i * MINUTE });
    }
    // Recent window: STEADY and OBRIEN in hour H1, NEWDEST and FRESH in hour H2.
    for (let i = 0; i < 10; i += 1) {
      add({
        agent: STEADY,
        at: H1 + i * MINUTE,
        destination: i < 7 ? "api.example.com" : i < 9 ? "docs.example.com" : null,
        verdict: i === 0 ? "flagged" : "approved",
        reasons: i === 0 ? ["drift.unusual_destination"] : [],
        latencyMs: (i + 1) * 10,
      });
      obrienRecent.push(
        add({
          agent: OBRIEN,
          at: H1 + (10 + i) * MINUTE,
          destination: i < 4 ? "drop.example.net" : "api.example.com",
          verdict: i < 4 ? "flagged" : i < 6 ? "rejected" : "approved",
          reasons:
            i < 4 ? ["payload.exfiltration.bulk_records", "scope.not_permitted"] : i < 6 ? ["scope.not_permitted"] : [],
          latencyMs: (11 + i) * 10,
        }),
      );
      add({
        agent: NEWDEST,
        at: H2 + i * MINUTE,
        destination: i < 8 ? `new-${i % 2}.example.org` : "api.example.com",
        latencyMs: 5 * (i + 1),
      });
      add({ agent: FRESH, at: H2 + (10 + i) * MINUTE, destination: "fresh.example.com", latencyMs: 1000 + i * 100 });
    }
    await insertDecisions(records);
  });

  afterAll(async () => {
    await client?.close();
    stack.cleanup();
  });

  it("drift-leaderboard ranks by the larger rise, with new destinations counted from their first sighting", async () => {
    const result = await query("drift-leaderboard");
    expect(result.columns.map((c) => c.name)).toEqual([
      "agent_id",
      "recent_decisions",
      "baseline_decisions",
      "recent_risky_share",
      "baseline_risky_share",
      "risky_share_rise",
      "recent_new_destination_share",
      "baseline_new_destination_share",
      "new_destination_rise",
      "rise",
    ]);
    // FRESH has no baseline, so it is not compared.
    expect(rowsOf(result)).toEqual([
      {
        agent_id: NEWDEST,
        recent_decisions: 10,
        baseline_decisions: 10,
        recent_risky_share: 0,
        baseline_risky_share: 0,
        risky_share_rise: 0,
        recent_new_destination_share: 0.8,
        baseline_new_destination_share: 0,
        new_destination_rise: 0.8,
        rise: 0.8,
      },
      {
        agent_id: OBRIEN,
        recent_decisions: 10,
        baseline_decisions: 10,
        recent_risky_share: 0.6,
        baseline_risky_share: 0,
        risky_share_rise: 0.6,
        recent_new_destination_share: 0.4,
        baseline_new_destination_share: 0,
        new_destination_rise: 0.4,
        rise: 0.6,
      },
      {
        // docs.example.com was new in the baseline, so it is not new in the recent window.
        agent_id: STEADY,
        recent_decisions: 10,
        baseline_decisions: 10,
        recent_risky_share: 0.1,
        baseline_risky_share: 0.1,
        risky_share_rise: 0,
        recent_new_destination_share: 0,
        baseline_new_destination_share: 0.2,
        new_destination_rise: -0.2,
        rise: 0,
      },
    ]);

    const byRisk = await query("drift-leaderboard", { rank_by: "risky", limit: 2 });
    expect(rowsOf(byRisk).map((r) => r.agent_id)).toEqual([OBRIEN, NEWDEST]);
    expect(rowsOf(await query("drift-leaderboard", { min_decisions: 11 }))).toEqual([]);
    // With the windows ending before the recent decisions, nothing has a recent window.
    expect(rowsOf(await query("drift-leaderboard", { until: "now-3d", min_decisions: 1 }))).toEqual([]);
  });

  it("top-reasons counts reason codes from the hourly rollup, for all agents or one", async () => {
    expect(rowsOf(await query("top-reasons"))).toEqual([
      { reason_code: "scope.not_permitted", decisions: 6, agents: 1 },
      { reason_code: "payload.exfiltration.bulk_records", decisions: 4, agents: 1 },
      { reason_code: "drift.unusual_destination", decisions: 1, agents: 1 },
    ]);
    expect(rowsOf(await query("top-reasons", { agent: STEADY, from: "now-40d" }))).toEqual([
      { reason_code: "drift.unusual_destination", decisions: 2, agents: 1 },
    ]);
    expect(rowsOf(await query("top-reasons", { agent: OBRIEN, limit: 1 }))).toEqual([
      { reason_code: "scope.not_permitted", decisions: 6, agents: 1 },
    ]);
    // The escaped name matches only itself: without the backslash part it is another agent.
    expect(rowsOf(await query("top-reasons", { agent: "agent-o'brien" }))).toEqual([]);
  });

  it("agent-actions lists one agent's decisions in a range, newest first, optionally by verdict", async () => {
    const range = { from: new Date(H1).toISOString(), to: new Date(H1 + HOUR).toISOString() };
    const all = rowsOf(await query("agent-actions", { agent: OBRIEN, ...range }));
    expect(all.map((r) => r.decision_id)).toEqual([...obrienRecent].reverse().map((d) => d.decision_id));
    const first = all.at(-1) as Record<string, unknown>;
    expect(first).toMatchObject({
      verdict: "flagged",
      destination: "drop.example.net",
      reason_codes: ["payload.exfiltration.bulk_records", "scope.not_permitted"],
      latency_ms: 110,
    });
    expect(String(first.decided_at).slice(0, 19)).toBe(utcSeconds(obrienRecent[0]!.decided_at));

    const flagged = rowsOf(await query("agent-actions", { agent: OBRIEN, ...range, verdict: "flagged" }));
    expect(flagged.map((r) => r.decision_id)).toEqual(
      obrienRecent
        .slice(0, 4)
        .reverse()
        .map((d) => d.decision_id),
    );
    expect(rowsOf(await query("agent-actions", { agent: OBRIEN, from: "now-50d", to: "now-30d" }))).toHaveLength(2);
  });

  it("destination finds every decision that touched it", async () => {
    const rows = rowsOf(await query("destination", { destination: "drop.example.net" }));
    expect(rows.map((r) => [r.agent_id, r.verdict, r.decision_id])).toEqual(
      [...obrienRecent.slice(0, 4)].reverse().map((d) => [OBRIEN, "flagged", d.decision_id]),
    );
    expect(rows[0]?.reason_codes).toEqual(["payload.exfiltration.bulk_records", "scope.not_permitted"]);
    expect(rowsOf(await query("destination", { destination: "nowhere.example" }))).toEqual([]);
  });

  it("latency gives p50/p90/p99/max per hour from the rollup's quantile states", async () => {
    const range = { from: utcSeconds(H1), to: utcSeconds(H2 + HOUR) };
    const rows = rowsOf(await query("latency", range));
    expect(rows.map((r) => r.hour)).toEqual([utcSeconds(H1), utcSeconds(H2)]);
    for (const [i, hour] of [H1, H2].entries()) {
      const values = latencies.get(hour) as number[];
      const row = rows[i] as Record<string, number>;
      expect(row.decided).toBe(20);
      expect(row.p50_ms).toBeCloseTo(quantile(values, 0.5), 1);
      expect(row.p90_ms).toBeCloseTo(quantile(values, 0.9), 1);
      expect(row.p99_ms).toBeCloseTo(quantile(values, 0.99), 1);
      expect(row.max_ms).toBe(Math.max(...values));
    }
    const fresh = rowsOf(await query("latency", { ...range, agent: FRESH }));
    expect(fresh).toEqual([
      { hour: utcSeconds(H2), decided: 10, p50_ms: 1450, p90_ms: 1810, p99_ms: 1891, max_ms: 1900 },
    ]);
  });

  it("review-turnaround gives each reviewer's count, outcomes and time from flag to review; flagged-backlog what is left", async () => {
    // Its own database: reviewed flags would change what the other queries count.
    const reviewed = isolatedDatabase(`queries_reviews_${mode}`);
    await migrateTrail(trail(), reviewed);
    const at = hour0 - 2 * HOUR;
    const flags = [0, 1, 2, 3].map((i) => decisionRecord({ agent: STEADY, at: at + i * MINUTE, verdict: "flagged" }));
    const review = (flag: DecisionRecord, reviewer: string, verdict: Verdict, afterSeconds: number) => ({
      ...decisionRecord({ agent: STEADY, at: flag.decided_at + afterSeconds * 1000, verdict }),
      action: flag.action,
      supersedes: flag.decision_id,
      reviewer,
      review_comment: `${verdict} after a look`,
    });
    const reviews = [
      review(flags[0]!, "alice", "approved", 60),
      review(flags[1]!, "alice", "approved", 120),
      review(flags[2]!, OBRIEN, "rejected", 300),
      review(flags[3]!, "mandate-review", "rejected", 900),
    ];
    // Two flags nobody has settled: the backlog.
    const open = [
      decisionRecord({ agent: OBRIEN, at: at + 10 * MINUTE, verdict: "flagged" }),
      decisionRecord({ agent: OBRIEN, at: at + 20 * MINUTE, verdict: "flagged" }),
    ];
    const rows = [...flags, ...reviews, ...open].map((d, i) =>
      decisionRow(d, { partition: 0, offset: String(i) }, now),
    );
    await storeRows(trail(), reviewed, "decisions", rows);

    const result = await runTrailQuery(trail(), "review-turnaround", {}, { database: reviewed, now });
    expect(rowsOf(result).map((r) => [r.reviewer, r.reviews, r.approved, r.rejected, r.max_s])).toEqual([
      ["alice", 2, 2, 0, 120],
      [OBRIEN, 1, 0, 1, 300],
      ["mandate-review", 1, 0, 1, 900],
    ]);
    expect(rowsOf(result)[1]).toMatchObject({ p50_s: 300, p90_s: 300 });
    const backlog = await runTrailQuery(trail(), "flagged-backlog", {}, { database: reviewed, now });
    expect(rowsOf(backlog).map((r) => [r.agent_id, r.open_flags])).toEqual([[OBRIEN, 2]]);
    expect(String(rowsOf(backlog)[0]!.oldest_flagged_at).slice(0, 19)).toBe(utcSeconds(open[0]!.decided_at));
    const one = await runTrailQuery(trail(), "review-turnaround", { reviewer: OBRIEN }, { database: reviewed, now });
    expect(rowsOf(one).map((r) => r.reviewer)).toEqual([OBRIEN]);
    const stored = await trail().query({
      query: `SELECT reviewer, comment FROM ${reviewed}.reviews FINAL WHERE reviewer = 'alice' ORDER BY decided_at`,
      format: "JSONEachRow",
    });
    expect(await stored.json()).toEqual([
      { reviewer: "alice", comment: "approved after a look" },
      { reviewer: "alice", comment: "approved after a look" },
    ]);
  });

  it("refuses a query whose rollups the trail does not have yet, and a database with no trail", async () => {
    const behind = isolatedDatabase(`queries_behind_${mode}`);
    await migrateTrail(trail(), behind, readMigrations().slice(0, 1));
    const failure = await runTrailQuery(trail(), "top-reasons", {}, { database: behind }).catch((e: unknown) => e);
    expect((failure as TrailQueryError).problem).toBe("schema_behind");
    // The exact queries need only the base tables.
    expect((await runTrailQuery(trail(), "agent-actions", { agent: STEADY }, { database: behind })).rows).toEqual([]);
    await trail().command({ query: `DROP DATABASE ${behind}` });

    const missing = await runTrailQuery(trail(), "latency", {}, { database: "mandate_no_such_trail" }).catch(
      (e: unknown) => e,
    );
    expect((missing as TrailQueryError).message).toContain("no trail in database mandate_no_such_trail");
  });

  it("re-running the rollup migration changes nothing", async () => {
    const rollups = readMigrations().find((m) => m.version === 2)!;
    for (const statement of splitStatements(renderMigration(rollups.sql, database, capabilities))) {
      await trail().command({ query: statement });
    }
    expect(rowsOf(await query("top-reasons", { agent: STEADY, from: "now-40d" }))).toEqual([
      { reason_code: "drift.unusual_destination", decisions: 2, agents: 1 },
    ]);
  });

  it("the rollups fill on insert and count inserts; FINAL on the base table stays exact", async () => {
    const agent = sqlString(OBRIEN);
    const perMinute = async () => {
      const result = await trail().query({
        query: `SELECT verdict, toUInt32(sum(decisions)) AS n FROM ${database}.decisions_per_minute
                WHERE agent_id = ${agent} GROUP BY verdict ORDER BY verdict`,
        format: "JSONEachRow",
      });
      return result.json();
    };
    expect(await perMinute()).toEqual([
      { verdict: "approved", n: 16 },
      { verdict: "flagged", n: 4 },
      { verdict: "rejected", n: 2 },
    ]);
    const flaggedInH1 = async () => {
      const result = await trail().query({
        query: `SELECT toUInt32(sum(flagged)) AS rollup,
                  toUInt32((SELECT count() FROM ${database}.decisions FINAL
                            WHERE agent_id = ${agent} AND verdict = 'flagged')) AS exact
                FROM ${database}.flagged_per_hour
                WHERE agent_id = ${agent} AND hour = toDateTime('${utcSeconds(H1)}', 'UTC')`,
        format: "JSONEachRow",
      });
      return ((await result.json()) as Array<{ rollup: number; exact: number }>)[0];
    };
    expect(await flaggedInH1()).toEqual({ rollup: 4, exact: 4 });

    // A sink crash between insert and offset commit re-inserts the batch.
    await insertDecisions(obrienRecent.slice(0, 4));
    expect(await flaggedInH1()).toEqual({ rollup: 8, exact: 4 });
    expect(
      rowsOf(await query("top-reasons", { agent: OBRIEN })).find((r) => r.reason_code === "scope.not_permitted"),
    ).toMatchObject({ decisions: 10 });
    // The exact queries read FINAL and do not see the repeat.
    const range = { from: utcSeconds(H1), to: utcSeconds(H1 + HOUR) };
    expect(rowsOf(await query("agent-actions", { agent: OBRIEN, ...range }))).toHaveLength(10);
  });

  it("ad-hoc SQL reads, and a write is refused before it is sent and by the server's readonly", async () => {
    const total = await runTrailSql(trail(), `SELECT count() AS n FROM ${database}.decisions FINAL;  -- all of them`);
    expect(total.rows).toEqual([{ n: String(records.length) }]);

    for (const write of [
      `INSERT INTO ${database}.decisions (decision_id) VALUES ('x')`,
      `SELECT 1; DROP TABLE ${database}.decisions`,
      `ALTER TABLE ${database}.decisions DELETE WHERE 1`,
    ]) {
      const refused = await runTrailSql(trail(), write).catch((e: unknown) => e);
      expect((refused as TrailQueryError).problem).toBe("not_read_only");
    }

    // The server's own check, for what a text check cannot see. NOTE: on chdb the setting stays on
    // the session, which is why ad-hoc SQL gets a client of its own and why this test comes last.
    await expect(
      trail().command({
        query: `INSERT INTO ${database}.dead_letters (source_topic) VALUES ('x')`,
        clickhouse_settings: AD_HOC_SETTINGS,
      }),
    ).rejects.toThrow(/readonly/i);
    expect((await runTrailSql(trail(), `SELECT count() AS n FROM ${database}.dead_letters`)).rows).toEqual([
      { n: "0" },
    ]);
  });

  it("mandate trail query prints saved queries and ad-hoc SQL, and refuses a write with exit code 2", async () => {
    // The embedded trail admits one process: the CLI can open it only once this suite lets go.
    await client?.close();
    client = undefined;
    const target = stack.clickhouse!;
    const env =
      target.mode === "server"
        ? { CLICKHOUSE_URL: target.url, MANDATE_CHDB_PATH: undefined, MANDATE_CLICKHOUSE_DATABASE: database }
        : { CLICKHOUSE_URL: undefined, MANDATE_CHDB_PATH: target.path, MANDATE_CLICKHOUSE_DATABASE: database };

    const json = await runCli(
      ["trail", "query", "top-reasons", "--param", `agent=${STEADY}`, "--param", "from=now-40d", "--format", "json"],
      env,
    );
    expect(json.stderr).toBe("");
    expect(json.stdout).toBe(
      `${JSON.stringify({ reason_code: "drift.unusual_destination", decisions: 2, agents: 1 })}\n`,
    );

    const csv = await runCli(
      [
        "trail",
        "query",
        "--sql",
        `SELECT agent_id, count() AS n FROM ${database}.decisions FINAL WHERE agent_id IN ('${STEADY}', '${FRESH}') GROUP BY agent_id ORDER BY agent_id`,
        "--format",
        "csv",
      ],
      env,
    );
    expect(csv.stdout).toBe(`agent_id,n\r\n${FRESH},10\r\n${STEADY},22\r\n`);

    const table = await runCli(
      ["trail", "query", "agent-actions", "--param", `agent=${FRESH}`, "--param", "from=now-30d"],
      env,
    );
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^decided_at\s+decision_id\s+action_id\s+verdict\s+tool/);
    expect(lines.at(-1)).toBe("(10 rows)");

    const write = await runCli(["trail", "query", "--sql", `DROP TABLE ${database}.decisions`], env);
    expect(write.code).toBe(2);
    expect(write.stderr).toContain("read-only");
  });
});

import { describe, expect, it } from "vitest";
import type { ClickHouseCapabilities } from "@mandate/common/clickhouse-connection";
import {
  assertReadOnlySql,
  findTrailQuery,
  parseTimeRef,
  renderTrailQuery,
  TRAIL_QUERIES,
  TrailQueryError,
  type TrailQueryArgs,
} from "@mandate/cli/trail-queries";
import { formatResult } from "@mandate/cli/trail-command";
import { DEBIAN_CLICKHOUSE, MODERN_CLICKHOUSE } from "../support/clickhouse-capabilities.js";

const modern = MODERN_CLICKHOUSE;
const debian = DEBIAN_CLICKHOUSE;
const now = Date.UTC(2026, 10, 22, 8, 30, 15, 250);
const on = (capabilities: ClickHouseCapabilities) => ({ database: "trail_db", capabilities, now });

/** The least each query needs to render. */
const required: Record<string, TrailQueryArgs> = {
  "agent-actions": { agent: "agent-1" },
  destination: { destination: "api.example.com" },
};

function failure(run: () => unknown): TrailQueryError {
  try {
    run();
  } catch (error) {
    if (error instanceof TrailQueryError) return error;
    throw error;
  }
  throw new Error("expected a TrailQueryError");
}

describe("saved trail queries", () => {
  it.each(TRAIL_QUERIES.map((q) => q.name))("%s renders for 18.16 and 26.x with its defaults", (name) => {
    for (const caps of [modern, debian]) {
      const sql = renderTrailQuery(name, required[name] ?? {}, on(caps));
      expect(sql).toContain("trail_db.");
      expect(sql).not.toMatch(/undefined|NaN|\{\{|\{[a-z_]+:[A-Za-z]+\}/);
      expect(sql).not.toContain(caps.dateTime64 ? "toDateTime(" : "toDateTime64(");
    }
  });

  it("render times in UTC at the server's precision", () => {
    const args = { agent: "a", from: "2026-11-01T10:00:00.5+01:00", to: "now" };
    expect(renderTrailQuery("agent-actions", args, on(modern))).toContain(
      "decided_at >= toDateTime64('2026-11-01 09:00:00.500', 3, 'UTC') AND decided_at < toDateTime64('2026-11-22 08:30:15.250', 3, 'UTC')",
    );
    expect(renderTrailQuery("agent-actions", args, on(debian))).toContain(
      "decided_at >= toDateTime('2026-11-01 09:00:00', 'UTC') AND decided_at < toDateTime('2026-11-22 08:30:15', 'UTC')",
    );
  });

  it("drift-leaderboard's windows end at `until` and lie back to back", () => {
    const sql = renderTrailQuery(
      "drift-leaderboard",
      { until: "2026-11-22", recent_days: 7, baseline_days: 28 },
      on(debian),
    );
    expect(sql).toContain("WHERE decided_at < toDateTime('2026-11-22 00:00:00', 'UTC')");
    expect(sql).toContain("countIf(decided_at >= toDateTime('2026-11-15 00:00:00', 'UTC')) AS recent");
    expect(sql).toContain(
      "countIf(decided_at >= toDateTime('2026-10-18 00:00:00', 'UTC') AND decided_at < toDateTime('2026-11-15 00:00:00', 'UTC')) AS baseline",
    );
    expect(sql).toContain("HAVING recent_decisions >= 10 AND baseline_decisions >= 10");
    expect(renderTrailQuery("drift-leaderboard", { rank_by: "risky" }, on(debian))).toContain(
      "ORDER BY risky_share_rise DESC, agent_id",
    );
  });

  it("quote every text value, so input cannot end a literal or add a clause", () => {
    const hostile = "x' OR 1=1 --";
    const sql = renderTrailQuery("agent-actions", { agent: hostile }, on(debian));
    expect(sql).toContain("WHERE agent_id = 'x\\' OR 1=1 --'");
    const backslash = renderTrailQuery("destination", { destination: "a\\' UNION SELECT 1 --" }, on(modern));
    expect(backslash).toContain("destination = 'a\\\\\\' UNION SELECT 1 --'");
    expect(backslash).not.toContain("destination = 'a\\\\' UNION");
    expect(renderTrailQuery("top-reasons", { agent: "it's" }, on(modern))).toContain("AND agent_id = 'it\\'s'");
  });

  it("leave optional filters out when not given", () => {
    expect(renderTrailQuery("top-reasons", {}, on(modern))).not.toContain("agent_id =");
    expect(renderTrailQuery("agent-actions", { agent: "a" }, on(modern))).not.toContain("verdict =");
    expect(renderTrailQuery("agent-actions", { agent: "a", verdict: "flagged" }, on(modern))).toContain(
      "AND verdict = 'flagged'",
    );
  });

  it("validate every parameter and report every problem at once", () => {
    const error = failure(() =>
      findTrailQuery("agent-actions").parse({ from: "yesterday", limit: "0", verdict: "maybe", colour: "red" }),
    );
    expect(error.problem).toBe("invalid_params");
    expect(error.message).toContain("agent: required");
    expect(error.message).toContain("from: expected now, now-<n>");
    expect(error.message).toMatch(/limit: .*>=1/);
    expect(error.message).toMatch(/verdict: .*"approved"\|"flagged"\|"rejected"/);
    expect(error.message).toContain("unknown parameter colour (known: agent, from, to, verdict, limit)");
  });

  it("refuse values that would be unsafe or meaningless, before rendering", () => {
    const parse = (args: TrailQueryArgs) => failure(() => findTrailQuery("top-reasons").parse(args)).message;
    expect(parse({ agent: "" })).toContain("agent: must not be empty");
    expect(parse({ agent: "a\u0000b" })).toContain("agent: must not contain control characters");
    expect(parse({ agent: "x".repeat(513) })).toContain("agent: at most 512 characters");
    expect(parse({ limit: "2.5" })).toContain("limit:");
    expect(parse({ limit: "1; DROP TABLE x" })).toContain("limit:");
    expect(parse({ limit: 1001 })).toContain("limit:");
    expect(parse({ from: "now-7x" })).toContain("from:");
  });

  it("refuse an empty time range and a database name that is not an identifier", () => {
    const empty = failure(() => renderTrailQuery("latency", { from: "now", to: "now-1h" }, on(modern)));
    expect(empty.message).toContain("empty time range");
    expect(() => renderTrailQuery("latency", {}, { ...on(modern), database: "x; DROP DATABASE y" })).toThrow(
      /not a safe ClickHouse identifier/,
    );
  });

  it("name the queries that do not exist", () => {
    expect(failure(() => findTrailQuery("nope")).problem).toBe("unknown_query");
  });
});

describe("time parameters", () => {
  it("read relative, dated and epoch forms, in UTC", () => {
    expect(parseTimeRef("now")).toEqual({ agoMs: 0 });
    expect(parseTimeRef("now-90m")).toEqual({ agoMs: 90 * 60_000 });
    expect(parseTimeRef("now-2w")).toEqual({ agoMs: 14 * 86_400_000 });
    expect(parseTimeRef("2026-11-01")).toEqual({ epochMs: Date.UTC(2026, 10, 1) });
    expect(parseTimeRef("2026-11-01 10:15")).toEqual({ epochMs: Date.UTC(2026, 10, 1, 10, 15) });
    expect(parseTimeRef("2026-11-01T10:15:30.5Z")).toEqual({ epochMs: Date.UTC(2026, 10, 1, 10, 15, 30, 500) });
    expect(parseTimeRef("2026-11-01T10:15:30-02:00")).toEqual({ epochMs: Date.UTC(2026, 10, 1, 12, 15, 30) });
    expect(parseTimeRef("1763600000000")).toEqual({ epochMs: 1_763_600_000_000 });
    expect(parseTimeRef(1_763_600_000_000)).toEqual({ epochMs: 1_763_600_000_000 });
  });

  it("refuse what is not a time, or what a DateTime cannot hold", () => {
    for (const bad of ["yesterday", "now+1d", "now-1y", "2026-13-01", "2026-11-01T25:00", "1e12", "2200-01-01", ""]) {
      expect(parseTimeRef(bad), bad).toBeUndefined();
    }
    expect(parseTimeRef(-1)).toBeUndefined();
  });
});

describe("ad-hoc SQL", () => {
  it("passes one reading statement, without trailing semicolons or comments", () => {
    expect(assertReadOnlySql("SELECT 1;")).toBe("SELECT 1");
    expect(assertReadOnlySql("  select 1 ;; -- done\n")).toBe("select 1");
    expect(assertReadOnlySql("WITH 1 AS x SELECT x")).toBe("WITH 1 AS x SELECT x");
    expect(assertReadOnlySql("(SELECT 1) UNION ALL (SELECT 2)")).toBe("(SELECT 1) UNION ALL (SELECT 2)");
    for (const sql of ["SHOW TABLES FROM mandate", "DESCRIBE mandate.decisions", "EXPLAIN SELECT 1", "EXISTS t"]) {
      expect(assertReadOnlySql(sql)).toBe(sql);
    }
  });

  it("ignores semicolons and keywords inside literals, quoted names and comments", () => {
    const sql = "SELECT 'a;b', \"c;d\", `e;f`, 'it\\'s; DROP', 'x'';y' /* ; INSERT */ -- ; DELETE\nFROM t";
    expect(assertReadOnlySql(sql)).toBe(sql);
  });

  it("refuses writes, DDL, several statements and unterminated input", () => {
    const refused = [
      "INSERT INTO mandate.decisions VALUES (1)",
      "DROP TABLE mandate.decisions",
      "ALTER TABLE mandate.decisions DELETE WHERE 1",
      "/* SELECT */ TRUNCATE TABLE mandate.decisions",
      "-- SELECT\nOPTIMIZE TABLE mandate.decisions FINAL",
      "SET readonly = 0",
      "SELECT 1; DROP TABLE mandate.decisions",
      "SELECT 'unterminated",
      "SELECT 1 /* open",
      "  ;  ",
    ];
    for (const sql of refused) expect(failure(() => assertReadOnlySql(sql)).problem, sql).toBe("not_read_only");
  });
});

describe("trail output", () => {
  const result = {
    columns: [
      { name: "agent_id", type: "String" },
      { name: "decisions", type: "UInt64" },
      { name: "reason_codes", type: "Array(String)" },
    ],
    rows: [
      { agent_id: 'a, "quoted"', decisions: 12, reason_codes: ["scope.x"] },
      { agent_id: "b\nline", decisions: 3, reason_codes: [] },
    ],
  };

  it("prints a table with numbers right-aligned", () => {
    expect(formatResult(result, "table")).toBe(
      [
        "agent_id     decisions  reason_codes",
        "-----------  ---------  ------------",
        'a, "quoted"         12  ["scope.x"]',
        "b\\nline              3  []",
        "(2 rows)",
        "",
      ].join("\n"),
    );
  });

  it("prints CSV with RFC 4180 quoting, and JSON lines", () => {
    expect(formatResult(result, "csv")).toBe(
      'agent_id,decisions,reason_codes\r\n"a, ""quoted""",12,"[""scope.x""]"\r\n"b\nline",3,[]\r\n',
    );
    expect(formatResult(result, "json").split("\n")[0]).toBe(JSON.stringify(result.rows[0]));
    expect(formatResult({ columns: result.columns, rows: [] }, "table")).toContain("(0 rows)");
  });
});

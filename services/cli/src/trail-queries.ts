import { z } from "zod";
import {
  assertIdentifier,
  detectCapabilities,
  formatTimestamp,
  sqlString,
  type ClickHouseCapabilities,
  type ClickHouseClient,
} from "@mandate/common/clickhouse-connection";
import { MandateError } from "@mandate/contracts";

/**
 * Saved questions about the trail: named, parameterised queries that render to SQL for one database
 * on one server. Every value reaches the SQL text through `sqlString` or as a checked integer, never
 * by pasting input, because 18.16 has no query parameters. The same query has the same column names
 * and meaning on 18.16 and on the embedded 26.x; only timestamp precision follows the server.
 */

export type TrailQueryProblem = "unknown_query" | "invalid_params" | "not_read_only" | "schema_behind";

/** A question the trail cannot answer as asked; the message says why. Nothing here is worth retrying. */
export class TrailQueryError extends MandateError {
  readonly retriable = false;
  constructor(
    readonly problem: TrailQueryProblem,
    message: string,
  ) {
    super(message);
  }
}

/** What a query renders for: the database, what the server can do, and the clock relative times count from. */
export interface TrailQueryTarget {
  database: string;
  capabilities: ClickHouseCapabilities;
  /** Epoch milliseconds that `now` and `now-7d` refer to. */
  now: number;
}

export interface TrailResult {
  columns: Array<{ name: string; type: string }>;
  rows: Array<Record<string, unknown>>;
}

/** Parameter values as they arrive: text from `--param k=v`, or numbers from code. */
export type TrailQueryArgs = Record<string, string | number | undefined>;

// ---------------------------------------------------------------------------------------------
// Parameters

/** A point in time: fixed, or an offset from the moment the query renders. */
export type TimeRef = { epochMs: number } | { agoMs: number };

interface ParamSpec<T> {
  schema: z.ZodType<T>;
  /** How the CLI describes the type, e.g. "integer 1..1000". */
  kind: string;
  help: string;
  /** The default in its text form, parsed like any given value; none means required or optional. */
  fallback?: string;
  optional: boolean;
}

const UNITS_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
/** The last second a DateTime holds on 18.16 (UInt32 seconds). */
const LAST_DATETIME_MS = 4_294_967_295_000;

/**
 * `now`, `now-<n><s|m|h|d|w>`, an epoch in milliseconds, a date (`2026-11-01`, UTC midnight) or an
 * ISO date-time (`2026-11-01T10:00:00Z`; without an offset it is read as UTC, never local time).
 */
export function parseTimeRef(value: string | number): TimeRef | undefined {
  if (typeof value === "number") return inDateTimeRange(value);
  const text = value.trim();
  if (text === "now") return { agoMs: 0 };
  const relative = /^now-(\d{1,6})([smhdw])$/.exec(text);
  if (relative) return { agoMs: Number(relative[1]) * UNITS_MS[relative[2] as keyof typeof UNITS_MS] };
  if (/^\d{10,13}$/.test(text)) return inDateTimeRange(Number(text));
  const iso = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)(Z|[+-]\d{2}:\d{2})?)?$/.exec(text);
  if (!iso) return undefined;
  const [, date, time, offset] = iso;
  const epochMs = Date.parse(`${date}T${time ?? "00:00:00"}${offset ?? "Z"}`);
  return Number.isNaN(epochMs) ? undefined : inDateTimeRange(epochMs);
}

function inDateTimeRange(epochMs: number): TimeRef | undefined {
  return Number.isInteger(epochMs) && epochMs >= 0 && epochMs <= LAST_DATETIME_MS ? { epochMs } : undefined;
}

export function resolveTime(ref: TimeRef, now: number): number {
  return "epochMs" in ref ? ref.epochMs : now - ref.agoMs;
}

const timeSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ref = parseTimeRef(value);
  if (!ref) {
    ctx.addIssue({
      code: "custom",
      message: "expected now, now-<n><s|m|h|d|w>, YYYY-MM-DD, an ISO date-time or epoch milliseconds (1970..2106)",
    });
    return z.NEVER;
  }
  return ref;
});

/** Names, hosts, codes: free text, but bounded and without control characters. */
const textSchema = z
  .string()
  .min(1, "must not be empty")
  .max(512, "at most 512 characters")
  .refine((v) => !/\p{Cc}/u.test(v), "must not contain control characters");

const param = {
  text: (help: string): ParamSpec<string> => ({ schema: textSchema, kind: "text", help, optional: false }),
  optionalText: (help: string): ParamSpec<string | undefined> => ({
    schema: textSchema.optional(),
    kind: "text",
    help,
    optional: true,
  }),
  time: (help: string, fallback: string): ParamSpec<TimeRef> => ({
    schema: timeSchema,
    kind: "time",
    help,
    fallback,
    optional: false,
  }),
  integer: (help: string, fallback: number, min: number, max: number): ParamSpec<number> => ({
    schema: z.coerce.number().int().min(min).max(max),
    kind: `integer ${min}..${max}`,
    help,
    fallback: String(fallback),
    optional: false,
  }),
  choice: <const V extends readonly [string, ...string[]]>(
    help: string,
    values: V,
    fallback: V[number],
  ): ParamSpec<V[number]> => ({ schema: z.enum(values), kind: values.join("|"), help, fallback, optional: false }),
  optionalChoice: <const V extends readonly [string, ...string[]]>(
    help: string,
    values: V,
  ): ParamSpec<V[number] | undefined> => ({
    schema: z.enum(values).optional(),
    kind: values.join("|"),
    help,
    optional: true,
  }),
};

type ParamSpecs = Record<string, ParamSpec<unknown>>;
type ParamValues<S extends ParamSpecs> = { [K in keyof S]: S[K] extends ParamSpec<infer T> ? T : never };

/** What the CLI lists about a query's parameter. */
export interface TrailQueryParamInfo {
  name: string;
  kind: string;
  help: string;
  fallback?: string;
  optional: boolean;
}

/** A saved query with its parameter types erased: parse, then render. */
export interface TrailQuery {
  name: string;
  summary: string;
  /** Where the answer comes from, and so how exact it is. */
  source: string;
  /** The trail migration the query reads from (the rollups arrive in 0002). */
  migration: number;
  params: TrailQueryParamInfo[];
  /** Validates every parameter at once (no server needed) and returns a renderer for the checked values. */
  parse(args: TrailQueryArgs): { render(target: TrailQueryTarget): string };
}

function defineQuery<S extends ParamSpecs>(definition: {
  name: string;
  summary: string;
  source: string;
  migration: number;
  params: S;
  render(values: ParamValues<S>, target: TrailQueryTarget, sql: SqlValues): string;
}): TrailQuery {
  const specs = Object.entries(definition.params);
  const schema = z.strictObject(Object.fromEntries(specs.map(([name, spec]) => [name, spec.schema])));
  return {
    name: definition.name,
    summary: definition.summary,
    source: definition.source,
    migration: definition.migration,
    params: specs.map(([name, spec]) => ({
      name,
      kind: spec.kind,
      help: spec.help,
      fallback: spec.fallback,
      optional: spec.optional,
    })),
    parse(args) {
      const given = Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined));
      const raw = { ...Object.fromEntries(specs.map(([name, spec]) => [name, spec.fallback])), ...given };
      const problems = specs
        .filter(([name, spec]) => !spec.optional && raw[name] === undefined)
        .map(([name]) => `${name}: required`);
      const parsed = schema.safeParse(raw);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          const name = issue.path.join(".");
          if (issue.code === "unrecognized_keys") {
            const known = specs.map(([n]) => n).join(", ") || "none";
            problems.push(`unknown parameter ${issue.keys.join(", ")} (known: ${known})`);
          } else if (!problems.includes(`${name}: required`)) problems.push(`${name}: ${issue.message}`);
        }
      }
      if (problems.length > 0 || !parsed.success) {
        throw new TrailQueryError(
          "invalid_params",
          `${definition.name}: invalid parameters\n  - ${problems.join("\n  - ")}`,
        );
      }
      const values = parsed.data as ParamValues<S>;
      return {
        render: (target) => {
          assertIdentifier(target.database);
          return definition.render(values, target, sqlValues(target));
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering values

/** The only ways a value enters SQL text. */
interface SqlValues {
  text(value: string): string;
  integer(value: number): string;
  /** The epoch milliseconds a time parameter stands for at render time. */
  resolve(ref: TimeRef): number;
  /** A UTC timestamp literal of the server's timestamp type. */
  at(epochMs: number): string;
  /** A [from, to) range, refused when it is empty. */
  range(from: TimeRef, to: TimeRef): { from: string; to: string };
}

function sqlValues(target: TrailQueryTarget): SqlValues {
  const literal = (epochMs: number) => {
    if (!Number.isInteger(epochMs) || epochMs < 0 || epochMs > LAST_DATETIME_MS) {
      throw new TrailQueryError("invalid_params", `time out of range (1970..2106): ${epochMs}`);
    }
    const text = sqlString(formatTimestamp(epochMs, target.capabilities));
    return target.capabilities.dateTime64 ? `toDateTime64(${text}, 3, 'UTC')` : `toDateTime(${text}, 'UTC')`;
  };
  return {
    text: sqlString,
    integer(value) {
      if (!Number.isSafeInteger(value)) throw new TrailQueryError("invalid_params", `not an integer: ${value}`);
      return String(value);
    },
    resolve: (ref) => resolveTime(ref, target.now),
    at: literal,
    range(from, to) {
      const fromMs = resolveTime(from, target.now);
      const toMs = resolveTime(to, target.now);
      if (fromMs >= toMs) {
        throw new TrailQueryError(
          "invalid_params",
          `empty time range: from ${new Date(fromMs).toISOString()} is not before to ${new Date(toMs).toISOString()}`,
        );
      }
      return { from: literal(fromMs), to: literal(toMs) };
    },
  };
}

const DAY_MS = 86_400_000;
const VERDICT_VALUES = ["approved", "flagged", "rejected"] as const;

// ---------------------------------------------------------------------------------------------
// The saved queries

const driftLeaderboard = defineQuery({
  name: "drift-leaderboard",
  summary:
    "agents whose flagged+rejected share or new-destination share rose most in the recent window against the baseline before it",
  source:
    "decisions FINAL (exact); a new destination is one first seen for that agent inside the window, counted over all history",
  migration: 1,
  params: {
    until: param.time("end of the recent window", "now"),
    recent_days: param.integer("length of the recent window", 7, 1, 90),
    baseline_days: param.integer("length of the baseline window just before it", 28, 1, 365),
    min_decisions: param.integer("decisions an agent needs in each window to be compared", 10, 1, 1_000_000),
    rank_by: param.choice("what the ranking uses", ["either", "risky", "new_destinations"], "either"),
    limit: param.integer("rows", 20, 1, 1000),
  },
  render(p, { database }, sql) {
    const untilMs = sql.resolve(p.until);
    const until = sql.at(untilMs);
    const recentStart = sql.at(untilMs - p.recent_days * DAY_MS);
    const baselineStart = sql.at(untilMs - (p.recent_days + p.baseline_days) * DAY_MS);
    const rankColumn = { either: "rise", risky: "risky_share_rise", new_destinations: "new_destination_rise" }[
      p.rank_by
    ];
    return `SELECT
    agent_id,
    sum(recent) AS recent_decisions,
    sum(baseline) AS baseline_decisions,
    round(sum(recent_risky) / sum(recent), 4) AS recent_risky_share,
    round(sum(baseline_risky) / sum(baseline), 4) AS baseline_risky_share,
    round(recent_risky_share - baseline_risky_share, 4) AS risky_share_rise,
    round(sumIf(recent, destination != '' AND first_seen >= ${recentStart}) / sum(recent), 4) AS recent_new_destination_share,
    round(sumIf(baseline, destination != '' AND first_seen >= ${baselineStart} AND first_seen < ${recentStart}) / sum(baseline), 4) AS baseline_new_destination_share,
    round(recent_new_destination_share - baseline_new_destination_share, 4) AS new_destination_rise,
    greatest(risky_share_rise, new_destination_rise) AS rise
FROM
(
    SELECT
        agent_id,
        destination,
        min(decided_at) AS first_seen,
        countIf(decided_at >= ${recentStart}) AS recent,
        countIf(decided_at >= ${baselineStart} AND decided_at < ${recentStart}) AS baseline,
        countIf(decided_at >= ${recentStart} AND verdict IN ('flagged', 'rejected')) AS recent_risky,
        countIf(decided_at >= ${baselineStart} AND decided_at < ${recentStart} AND verdict IN ('flagged', 'rejected')) AS baseline_risky
    FROM ${database}.decisions FINAL
    WHERE decided_at < ${until}
    GROUP BY agent_id, destination
)
GROUP BY agent_id
HAVING recent_decisions >= ${sql.integer(p.min_decisions)} AND baseline_decisions >= ${sql.integer(p.min_decisions)}
ORDER BY ${rankColumn} DESC, agent_id
LIMIT ${sql.integer(p.limit)}`;
  },
});

const topReasons = defineQuery({
  name: "top-reasons",
  summary: "reason codes by how many decisions carried them, optionally for one agent",
  source:
    "reason_codes_per_hour rollup: whole hours overlapping the range; counts inserts, so a batch re-delivered after a sink crash counts twice",
  migration: 2,
  params: {
    agent: param.optionalText("only this agent"),
    from: param.time("start of the range", "now-7d"),
    to: param.time("end of the range (exclusive)", "now"),
    limit: param.integer("rows", 20, 1, 1000),
  },
  render(p, { database }, sql) {
    const range = sql.range(p.from, p.to);
    const agent = p.agent === undefined ? "" : `\n  AND agent_id = ${sql.text(p.agent)}`;
    return `SELECT
    reason_code,
    sum(decisions) AS decisions,
    uniqExact(agent_id) AS agents
FROM ${database}.reason_codes_per_hour
WHERE hour >= toStartOfHour(${range.from}) AND hour < ${range.to}${agent}
GROUP BY reason_code
ORDER BY decisions DESC, reason_code
LIMIT ${sql.integer(p.limit)}`;
  },
});

const agentActions = defineQuery({
  name: "agent-actions",
  summary: "one agent's decisions in a time range, newest first",
  source: "decisions FINAL (exact)",
  migration: 1,
  params: {
    agent: param.text("the agent"),
    from: param.time("start of the range", "now-24h"),
    to: param.time("end of the range (exclusive)", "now"),
    verdict: param.optionalChoice("only this verdict", VERDICT_VALUES),
    limit: param.integer("rows", 100, 1, 10_000),
  },
  render(p, { database }, sql) {
    const range = sql.range(p.from, p.to);
    const verdict = p.verdict === undefined ? "" : `\n  AND verdict = ${sql.text(p.verdict)}`;
    return `SELECT
    decided_at,
    decision_id,
    action_id,
    verdict,
    tool,
    operation,
    resource,
    destination,
    reason_codes,
    latency_ms,
    policy_version
FROM ${database}.decisions FINAL
WHERE agent_id = ${sql.text(p.agent)}
  AND decided_at >= ${range.from} AND decided_at < ${range.to}${verdict}
ORDER BY decided_at DESC, decision_id
LIMIT ${sql.integer(p.limit)}`;
  },
});

const destinationHistory = defineQuery({
  name: "destination",
  summary: "everything that touched a destination: every decision on an action sent there",
  source: "decisions FINAL (exact)",
  migration: 1,
  params: {
    destination: param.text("the destination (host or address), matched exactly"),
    from: param.time("start of the range", "now-30d"),
    to: param.time("end of the range (exclusive)", "now"),
    limit: param.integer("rows", 100, 1, 10_000),
  },
  render(p, { database }, sql) {
    const range = sql.range(p.from, p.to);
    return `SELECT
    decided_at AS at,
    agent_id,
    action_id,
    decision_id,
    toString(verdict) AS verdict,
    tool,
    operation,
    resource,
    reason_codes
FROM ${database}.decisions FINAL
WHERE destination = ${sql.text(p.destination)} AND decided_at >= ${range.from} AND decided_at < ${range.to}
ORDER BY at DESC, action_id
LIMIT ${sql.integer(p.limit)}`;
  },
});

const latency = defineQuery({
  name: "latency",
  summary: "decision latency (proposed to decided) per hour: p50, p90, p99 and max, in milliseconds",
  source:
    "decision_latency_per_hour rollup: whole hours overlapping the range; exact up to 8192 decisions per hour read, sampled beyond",
  migration: 2,
  params: {
    agent: param.optionalText("only this agent"),
    from: param.time("start of the range", "now-24h"),
    to: param.time("end of the range (exclusive)", "now"),
  },
  render(p, { database }, sql) {
    const range = sql.range(p.from, p.to);
    const agent = p.agent === undefined ? "" : `\n  AND agent_id = ${sql.text(p.agent)}`;
    return `SELECT
    hour,
    countMerge(decisions) AS decided,
    round(quantilesMerge(0.5, 0.9, 0.99)(latency_ms_quantiles)[1], 1) AS p50_ms,
    round(quantilesMerge(0.5, 0.9, 0.99)(latency_ms_quantiles)[2], 1) AS p90_ms,
    round(quantilesMerge(0.5, 0.9, 0.99)(latency_ms_quantiles)[3], 1) AS p99_ms,
    round(maxMerge(latency_ms_max), 1) AS max_ms
FROM ${database}.decision_latency_per_hour
WHERE hour >= toStartOfHour(${range.from}) AND hour < ${range.to}${agent}
GROUP BY hour
ORDER BY hour`;
  },
});

const reviewTurnaround = defineQuery({
  name: "review-turnaround",
  summary: "time from a flag to its review (or its deadline), per reviewer: count, outcomes, p50/p90/max in seconds",
  source: "reviews FINAL joined to the flagged decisions they supersede (exact, whole seconds)",
  migration: 3,
  params: {
    reviewer: param.optionalText("only this reviewer"),
    from: param.time("start of the range of review times", "now-7d"),
    to: param.time("end of the range (exclusive)", "now"),
  },
  render(p, { database }, sql) {
    const range = sql.range(p.from, p.to);
    const reviewer = p.reviewer === undefined ? "" : `\n      AND reviewer = ${sql.text(p.reviewer)}`;
    // NOTE: 18.16 joins with ANY … USING only; whole seconds, because it has no DateTime64.
    return `SELECT
    reviewer,
    count() AS reviews,
    countIf(outcome = 'approved') AS approved,
    countIf(outcome = 'rejected') AS rejected,
    round(quantileExact(0.5)(turnaround_s), 1) AS p50_s,
    round(quantileExact(0.9)(turnaround_s), 1) AS p90_s,
    max(turnaround_s) AS max_s
FROM
(
    SELECT
        toString(reviewer) AS reviewer,
        toString(outcome) AS outcome,
        toInt64(toUInt32(decided_at)) - toInt64(toUInt32(flagged_at)) AS turnaround_s
    FROM ${database}.reviews FINAL
    ANY INNER JOIN
    (
        SELECT decision_id AS flag_decision_id, decided_at AS flagged_at
        FROM ${database}.decisions
        WHERE verdict = 'flagged'
    ) AS flags USING flag_decision_id
    WHERE decided_at >= ${range.from} AND decided_at < ${range.to}${reviewer}
)
GROUP BY reviewer
ORDER BY reviews DESC, reviewer`;
  },
});

const flaggedBacklog = defineQuery({
  name: "flagged-backlog",
  summary: "flags no reviewer (or deadline) has settled yet, per agent: how many, and the oldest",
  source: "decisions FINAL: flagged decisions no other decision supersedes (exact)",
  migration: 3,
  params: {
    agent: param.optionalText("only this agent"),
  },
  render(p, { database }, sql) {
    const agent = p.agent === undefined ? "" : `\n  AND agent_id = ${sql.text(p.agent)}`;
    return `SELECT
    agent_id,
    count() AS open_flags,
    min(decided_at) AS oldest_flagged_at,
    max(decided_at) AS newest_flagged_at
FROM ${database}.decisions FINAL
WHERE verdict = 'flagged'
  AND decision_id NOT IN (SELECT supersedes FROM ${database}.decisions WHERE supersedes != '')${agent}
GROUP BY agent_id
ORDER BY open_flags DESC, agent_id`;
  },
});

/** Every saved query, in the order the CLI lists them. */
export const TRAIL_QUERIES: readonly TrailQuery[] = [
  driftLeaderboard,
  topReasons,
  agentActions,
  destinationHistory,
  latency,
  reviewTurnaround,
  flaggedBacklog,
];

export function findTrailQuery(name: string): TrailQuery {
  const query = TRAIL_QUERIES.find((q) => q.name === name);
  if (!query) {
    throw new TrailQueryError(
      "unknown_query",
      `no saved query named ${name} (known: ${TRAIL_QUERIES.map((q) => q.name).join(", ")})`,
    );
  }
  return query;
}

/** Parses and renders in one step. */
export function renderTrailQuery(name: string, args: TrailQueryArgs, target: TrailQueryTarget): string {
  return findTrailQuery(name).parse(args).render(target);
}

// ---------------------------------------------------------------------------------------------
// Running

/** Counts come back as JSON numbers on both servers (18.16 quotes 64-bit integers by default, chdb does not). */
const SAVED_QUERY_SETTINGS = { output_format_json_quote_64bit_integers: 0 } as const;

/**
 * What ad-hoc SQL runs with. `readonly: "1"` refuses writes, DDL, setting changes and table functions
 * on both modes: a server applies it to the one HTTP request; chdb turns it into `SET readonly = 1`
 * before the statement, which is honoured but STAYS on that session, so ad-hoc SQL must run on a
 * client opened for it (never the sink's). 64-bit integers stay quoted: ad-hoc SQL may select hashes
 * beyond 2^53, which JSON numbers would round. The output setting comes first because once readonly
 * is set a session may not change settings.
 */
export const AD_HOC_SETTINGS = { output_format_json_quote_64bit_integers: 1, readonly: "1" } as const;
// NOTE: runTrailSql repeats AD_HOC_SETTINGS without `readonly` for logins that are read-only already.

/**
 * Runs a saved query. Parameters are checked before anything is sent; a trail whose schema is older
 * than the query needs is refused with a message that says so, not with an unknown-table error.
 */
export async function runTrailQuery(
  client: ClickHouseClient,
  name: string,
  args: TrailQueryArgs,
  options: { database: string; now?: number },
): Promise<TrailResult> {
  const query = findTrailQuery(name);
  const parsed = query.parse(args);
  const required = query.migration;
  const version = await trailSchemaVersion(client, assertIdentifier(options.database));
  if (version < required) {
    throw new TrailQueryError(
      "schema_behind",
      version === 0
        ? `no trail in database ${options.database} (a sink creates it when it starts)`
        : `${name} needs trail migration ${required}; ${options.database} is at ${version} (a sink migrates it when it starts)`,
    );
  }
  const capabilities = await detectCapabilities(client);
  const sql = parsed.render({ database: options.database, capabilities, now: options.now ?? Date.now() });
  return fetchResult(client, sql, SAVED_QUERY_SETTINGS);
}

/**
 * Runs ad-hoc SQL read-only. The statement is checked before it is sent (one statement, starting with
 * a reading keyword) and then sent with `readonly = 1`, which the server enforces whatever the text
 * hides; see AD_HOC_SETTINGS for why the client must be one opened for this.
 */
export async function runTrailSql(client: ClickHouseClient, sql: string): Promise<TrailResult> {
  const query = assertReadOnlySql(sql);
  try {
    return await fetchResult(client, query, AD_HOC_SETTINGS);
  } catch (error) {
    // A login that is read-only already (the analyst's) may not set `readonly` again; the server just
    // said it is in readonly mode, so the statement runs under that instead.
    if (!READONLY_ALREADY.test((error as Error).message)) throw error;
    return fetchResult(client, query, { output_format_json_quote_64bit_integers: 1 });
  }
}

const READONLY_ALREADY = /Setting 'readonly' cannot be overrid|Cannot modify 'readonly' setting in readonly mode/;

async function fetchResult(
  client: ClickHouseClient,
  query: string,
  settings: Record<string, string | number>,
): Promise<TrailResult> {
  const result = await client.query({ query, format: "JSON", clickhouse_settings: settings });
  const body = await result.json<Record<string, unknown>>();
  return { columns: body.meta ?? [], rows: body.data };
}

async function trailSchemaVersion(client: ClickHouseClient, database: string): Promise<number> {
  const tables = await client.query({
    query: `SELECT count() AS n FROM system.tables WHERE database = ${sqlString(database)} AND name = 'schema_migrations'`,
    format: "JSONEachRow",
    clickhouse_settings: SAVED_QUERY_SETTINGS,
  });
  const [exists] = await tables.json<{ n: number }>();
  if (Number(exists?.n ?? 0) === 0) return 0;
  const versions = await client.query({
    query: `SELECT max(version) AS version FROM ${database}.schema_migrations`,
    format: "JSONEachRow",
    clickhouse_settings: SAVED_QUERY_SETTINGS,
  });
  const [row] = await versions.json<{ version: number }>();
  return Number(row?.version ?? 0);
}

// ---------------------------------------------------------------------------------------------
// Ad-hoc SQL

const READING_KEYWORDS = new Set(["SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "EXISTS"]);

/**
 * Refuses, before anything is sent, SQL that is not a single reading statement. This is the first of
 * two checks (the server's readonly setting is the one that holds); it exists so a write is refused
 * with a clear message, and so chdb, which runs several statements in one call, only ever gets one.
 * Returns the statement without trailing semicolons and comments (the client appends FORMAT).
 */
export function assertReadOnlySql(sql: string): string {
  const skeleton = codeSkeleton(sql);
  const end = skeleton.trimEnd().replace(/;+$/, "").trimEnd().length;
  const body = skeleton.slice(0, end);
  if (body.trim() === "") throw new TrailQueryError("not_read_only", "--sql needs a statement");
  if (body.includes(";")) {
    throw new TrailQueryError("not_read_only", "--sql runs one statement at a time; remove the ';' between statements");
  }
  const keyword = /^[\s(]*([A-Za-z]+)/.exec(body)?.[1]?.toUpperCase() ?? "";
  if (!READING_KEYWORDS.has(keyword)) {
    throw new TrailQueryError(
      "not_read_only",
      `--sql runs read-only queries (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN, EXISTS); refused ${keyword || "the statement"}`,
    );
  }
  return sql.slice(0, end).trim();
}

/**
 * The SQL with the contents of string literals, quoted identifiers and comments blanked out, same
 * length as the input, so a ';' or keyword inside quotes or comments is never mistaken for code.
 */
function codeSkeleton(sql: string): string {
  let out = "";
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i] as string;
    const next = sql[i + 1];
    if (ch === "-" && next === "-") {
      const stop = sql.indexOf("\n", i);
      const to = stop === -1 ? sql.length : stop;
      out += " ".repeat(to - i);
      i = to;
    } else if (ch === "/" && next === "*") {
      const stop = sql.indexOf("*/", i + 2);
      if (stop === -1) throw new TrailQueryError("not_read_only", "--sql has an unterminated /* comment");
      out += " ".repeat(stop + 2 - i);
      i = stop + 2;
    } else if (ch === "'" || ch === '"' || ch === "`") {
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) throw new TrailQueryError("not_read_only", `--sql has an unterminated ${ch} quote`);
        if (sql[j] === "\\") j += 2;
        else if (sql[j] === ch && sql[j + 1] === ch) j += 2;
        else if (sql[j] === ch) break;
        else j += 1;
      }
      out += ch + " ".repeat(j - i - 1) + ch;
      i = j + 1;
    } else {
      out += ch;
      i += 1;
    }
  }
  return out;
}

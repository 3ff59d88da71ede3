import fs from "node:fs";
import { detectCapabilities, openClickHouse, type ClickHouseClient } from "@mandate/common/clickhouse-connection";
import type { ClickHouseTarget } from "@mandate/common/clickhouse-target";
import {
  assertReadOnlySql,
  findTrailQuery,
  parseTimeRef,
  resolveTime,
  runTrailQuery,
  runTrailSql,
  TRAIL_QUERIES,
  TrailQueryError,
  type TrailResult,
} from "./trail-queries.js";
import { verifyTrail, type TrailVerification } from "./trail-verify.js";
import { parseFlags, parseSubcommand } from "./cli-flags.js";
import { trailConfigFromEnv } from "./trail-config.js";
import { UsageError } from "./usage-error.js";

const FORMATS: readonly ["table", "json", "csv"] = ["table", "json", "csv"];
type OutputFormat = (typeof FORMATS)[number];

/** Cells wider than this are cut in the table format; json and csv always carry the whole value. */
const MAX_TABLE_CELL = 80;

const TIMES = "Times: now, now-<n><s|m|h|d|w>, YYYY-MM-DD, an ISO date-time (UTC unless it has an offset), epoch ms.";

const TRAIL_LOCATION = `The trail: CLICKHOUSE_URL (server, http or https; CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, CLICKHOUSE_CA_FILE)
or MANDATE_CHDB_PATH (embedded, default .data/chdb; only while no sink holds its lock), database
MANDATE_CLICKHOUSE_DATABASE (default mandate).`;

function usage(): string {
  const queries = TRAIL_QUERIES.map((q) => {
    const params = q.params.map((p) => {
      const note = p.fallback !== undefined ? `default ${p.fallback}` : p.optional ? "optional" : "required";
      return `      ${p.name.padEnd(14)} ${`${p.kind}, ${note}`.padEnd(40)} ${p.help}`;
    });
    return [`  ${q.name.padEnd(18)} ${q.summary}`, `      source: ${q.source}`, ...params].join("\n");
  });
  return `usage: mandate trail query                      (lists the saved queries, as below)
       mandate trail query <name> [--param k=v …] [--format table|json|csv]
       mandate trail query --sql "SELECT …" [--format table|json|csv]
       mandate trail verify [--agent <agent_id>] [--since <time>] [--format table|json]

The trail is every decision the validators made, as the sink stored it in ClickHouse.
query   runs a saved query by name, each parameter as --param name=value (repeat it for each), or
        one statement of your own with --sql; the result as a table (default), JSON lines or CSV.
verify  recomputes the hash chains that link each agent's decisions (mandate trail verify --help).

Example: mandate trail query top-reasons --param agent=billing-bot --param from=now-30d --format csv

${TIMES}
--sql runs one read-only statement (the server enforces readonly = 1).
${TRAIL_LOCATION}

saved queries:
${queries.join("\n")}`;
}

type Request =
  | { kind: "saved"; name: string; params: Record<string, string>; format: OutputFormat }
  | { kind: "sql"; sql: string; format: OutputFormat }
  | { kind: "list" };

/**
 * `mandate trail query <name> [--param k=v …]` runs a saved query; `mandate trail query --sql "…"` runs
 * one read-only statement. Everything that can be checked without the trail (arguments, parameters,
 * the statement) is checked before the trail is opened, so a typo never takes the embedded lock.
 */
export async function trailCommand(args: string[]): Promise<void> {
  const [sub, rest] = parseSubcommand("trail", args, ["query", "verify"], usage());
  if (sub === "verify") return verifyCommand(rest);
  const request = parseArguments(rest);
  if (request.kind === "list") return void process.stdout.write(`${usage()}\n`);
  try {
    if (request.kind === "saved") findTrailQuery(request.name).parse(request.params);
    else assertReadOnlySql(request.sql);
  } catch (error) {
    throw asUsageError(error);
  }

  const config = trailConfigFromEnv();
  const client = await openTrail(config.clickhouse);
  let result: TrailResult;
  try {
    result =
      request.kind === "saved"
        ? await runTrailQuery(client, request.name, request.params, { database: config.database })
        : await runTrailSql(client, request.sql);
  } catch (error) {
    throw asUsageError(error);
  } finally {
    await client.close();
  }
  process.stdout.write(formatResult(result, request.format));
}

function parseArguments(args: string[]): Request {
  const flags = parseFlags(args, { param: "values", format: "value", sql: "value" }, usage());
  const format = flags.choice("format", FORMATS);
  const sql = flags.value("sql");
  const [name, ...others] = flags.positional;
  if (others.length > 0) throw new UsageError(`one saved query at a time (got ${name} and ${others.join(", ")})`);
  const params: Record<string, string> = {};
  for (const pair of flags.values("param")) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--param takes k=v, got ${pair}`);
    const key = pair.slice(0, eq);
    if (key in params) throw new UsageError(`--param ${key} given twice`);
    params[key] = pair.slice(eq + 1);
  }
  if (sql !== undefined) {
    if (name !== undefined || Object.keys(params).length > 0) {
      throw new UsageError("--sql runs its own statement; it takes no query name or --param");
    }
    return { kind: "sql", sql, format };
  }
  if (name === undefined) {
    if (Object.keys(params).length > 0) throw new UsageError(`--param needs a query name\n\n${usage()}`);
    return { kind: "list" };
  }
  return { kind: "saved", name, params, format };
}

const VERIFY_USAGE = `usage: mandate trail verify [--agent <agent_id>] [--since <time>] [--format table|json]

Each decision in the trail carries the hash of the agent's decision before it, so a row altered,
removed, inserted or relinked breaks that agent's chain. verify recomputes every chain and reports,
per broken chain, the first row where it breaks. Exit status 0 when every chain is intact, 1 when one
is broken.

--agent <agent_id>      only that agent's chain
--since <time>          trust each agent's first row at or after <time> as the start of its chain
                        (use it once retention has dropped the oldest rows)
--format table|json     a summary line per broken chain (default), or one JSON document

${TIMES}
${TRAIL_LOCATION}`;

/** `mandate trail verify`: exit 0 when every chain checks out, 1 when one does not, 2 on a usage error. */
async function verifyCommand(args: string[]): Promise<void> {
  const flags = parseFlags(args, { agent: "value", since: "value", format: "value" }, VERIFY_USAGE);
  if (flags.positional.length > 0) throw new UsageError(`unexpected ${flags.positional.join(" ")}\n\n${VERIFY_USAGE}`);
  const format = flags.choice("format", ["table", "json"]);
  const options: { agent?: string; sinceMs?: number } = {};
  const agent = flags.value("agent");
  if (agent !== undefined) options.agent = agent;
  const since = flags.value("since");
  if (since !== undefined) {
    const ref = parseTimeRef(since);
    if (!ref) throw new UsageError(`--since: not a time: ${since}`);
    options.sinceMs = resolveTime(ref, Date.now());
  }
  const config = trailConfigFromEnv();
  const client = await openTrail(config.clickhouse);
  try {
    const capabilities = await detectCapabilities(client);
    const result = await verifyTrail(client, { database: config.database, capabilities, ...options });
    if (format === "json") process.stdout.write(`${JSON.stringify(result)}\n`);
    else process.stdout.write(verificationText(result));
    if (result.problems.length > 0) process.exitCode = 1;
  } finally {
    await client.close();
  }
}

function verificationText(result: TrailVerification): string {
  const summary =
    `verified ${result.rows} rows of ${result.agents} agents in ${(result.elapsedMs / 1000).toFixed(2)} s: ` +
    (result.problems.length === 0 ? "every chain is intact" : `${result.problems.length} broken`);
  const lines = result.problems.map(
    (p) => `  ${p.agent_id}: ${p.kind} at place ${p.chain_seq} (decision ${p.decision_id}): ${p.detail}`,
  );
  if (result.rechecked > 0) {
    const agents = result.rechecked === 1 ? "1 agent" : `${result.rechecked} agents`;
    lines.push(
      `(${agents} read again as JSON: a row did not match its hash as stored, or was chained in the earlier format)`,
    );
  }
  return `${[summary, ...lines].join("\n")}\n`;
}

/** The caller asked for something the trail cannot answer: exit 2 with the reason. A trail not yet migrated is not a usage error. */
function asUsageError(error: unknown): unknown {
  return error instanceof TrailQueryError && error.problem !== "schema_behind" ? new UsageError(error.message) : error;
}

/**
 * NOTE: chdb locks its data directory to one process, so in embedded mode this works only while no
 * sink runs on it; the open fails otherwise, and the message says what to do instead.
 */
async function openTrail(target: ClickHouseTarget): Promise<ClickHouseClient> {
  if (target.mode === "server") return openClickHouse(target);
  if (!fs.existsSync(target.path)) {
    throw new Error(`no embedded trail at ${target.path} (MANDATE_CHDB_PATH); for a server set CLICKHOUSE_URL`);
  }
  try {
    return await openClickHouse(target);
  } catch (error) {
    throw new Error(
      `cannot open the embedded trail at ${target.path}: chdb lets one process hold a data directory, ` +
        `so stop the sink that owns it or query a server through CLICKHOUSE_URL (${(error as Error).message})`,
      { cause: error },
    );
  }
}

export function formatResult(result: TrailResult, format: OutputFormat): string {
  const names = result.columns.map((c) => c.name);
  if (format === "json") return result.rows.map((row) => `${JSON.stringify(row)}\n`).join("");
  if (format === "csv") {
    const lines = [names.map(csvField), ...result.rows.map((row) => names.map((n) => csvField(cellText(row[n]))))];
    return lines.map((fields) => `${fields.join(",")}\r\n`).join("");
  }
  const cells = result.rows.map((row) => names.map((n) => tableCell(cellText(row[n]))));
  const widths = names.map((n, i) => Math.max(n.length, ...cells.map((r) => (r[i] as string).length)));
  const numeric = result.columns.map((c) => /^(Nullable\()?(U?Int|Float|Decimal)/.test(c.type));
  const line = (values: string[]) =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i] as number) : v.padEnd(widths[i] as number)))
      .join("  ")
      .trimEnd();
  const out = [line(names), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)];
  out.push(`(${result.rows.length} ${result.rows.length === 1 ? "row" : "rows"})`);
  return `${out.join("\n")}\n`;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

function tableCell(text: string): string {
  const oneLine = text.replace(/\r?\n/g, "\\n");
  return oneLine.length > MAX_TABLE_CELL ? `${oneLine.slice(0, MAX_TABLE_CELL - 1)}…` : oneLine;
}

function csvField(text: string): string {
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

import crypto from "node:crypto";

/**
 * The tamper-evidence chain of the trail. Each agent's decisions form one chain in the order the sink
 * stored them (an agent's decisions share one partition of the decisions topic, keyed by agent_id):
 * row n carries `chain_seq` n (from 1), `chain_prev` (the `chain_hash` of row n−1, or CHAIN_GENESIS)
 * and its own
 *
 *     chain_hash = hex(SHA-256(chain_prev + "\n" + JSON.stringify(chainedValues(row))))
 *
 * over every column that says what was decided (CHAINED_COLUMNS). Kafka positions and `ingested_at`
 * are left out: a re-delivered decision is stored again with a new `ingested_at` and must hash the same.
 * `chain_seq` is left out too: it only numbers the links, so a row moved to another place keeps a
 * hash that checks out and shows as a broken link, not as an altered row.
 *
 * Values are hashed as ClickHouse stores and returns them: timestamps as the sink wrote them (with
 * milliseconds only where the server keeps them), numbers through `String(Number(x))`, which gives the
 * same text for a JavaScript number and for ClickHouse's JSON output of it (64-bit integers arrive
 * quoted, doubles in shortest round-trip form).
 *
 * What it proves: an updated, deleted, inserted or reordered row anywhere before an agent's last row
 * breaks that agent's chain. What it cannot prove alone: that nobody with write access rewrote the
 * tail after it (the chain is unkeyed); publish chain heads elsewhere to close that.
 */
export const CHAIN_GENESIS = "0".repeat(64);

export const CHAINED_COLUMNS = [
  "decision_id",
  "action_id",
  "agent_id",
  "session_id",
  "session_task",
  "tool",
  "operation",
  "resource",
  "destination",
  "arguments_json",
  "intent",
  "proposed_at",
  "verdict",
  "score_identity",
  "score_scope",
  "score_payload",
  "score_alignment",
  "score_drift",
  "reason_axes",
  "reason_codes",
  "reason_severities",
  "reason_messages",
  "policy_version",
  "registration_version",
  "validator_id",
  "decided_at",
  "expires_at",
  "latency_ms",
  "supersedes",
  "reviewer",
  "review_comment",
] as const;

export type ChainedColumn = (typeof CHAINED_COLUMNS)[number];

type ChainedValue = string | null | string[];

function textValue(value: unknown): ChainedValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (Array.isArray(value)) return value.every((item) => typeof item === "string") ? value : value.map(String);
  throw new TypeError(`cannot chain a value of type ${typeof value}`);
}

/** Doubles go through Number, so 0.5 written and "0.5" or 0.5 read back give the same text. */
function doubleValue(value: unknown): ChainedValue {
  return String(Number(value));
}

const NORMALISERS = CHAINED_COLUMNS.map((column) =>
  column.startsWith("score_") || column === "latency_ms" ? doubleValue : textValue,
);

/** The chained columns of a row, normalised as described above. */
export function chainedValues(row: Readonly<Record<string, unknown>>): ChainedValue[] {
  const values = new Array<ChainedValue>(CHAINED_COLUMNS.length);
  for (let i = 0; i < CHAINED_COLUMNS.length; i += 1) values[i] = NORMALISERS[i]!(row[CHAINED_COLUMNS[i]!]);
  return values;
}

export function chainHash(previous: string, row: Readonly<Record<string, unknown>>): string {
  return crypto.hash("sha256", `${previous}\n${JSON.stringify(chainedValues(row))}`, "hex");
}

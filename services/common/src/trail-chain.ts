import crypto from "node:crypto";
import { RowBinaryBuffer, type ColumnWriter } from "./row-binary.js";

/**
 * The tamper-evidence chain of the trail. Each agent's decisions form one chain in the order the sink
 * stored them (an agent's decisions share one partition of the decisions topic, keyed by agent_id):
 * row n carries `chain_seq` n (from 1), `chain_prev` (the `chain_hash` of row n−1, or CHAIN_GENESIS)
 * and its own
 *
 *     chain_hash = hex(SHA-256(RowBinary(chain_prev, ...CHAINED_COLUMNS)))
 *
 * over every column that says what was decided (CHAINED_COLUMNS), each value encoded as ClickHouse's
 * RowBinary format encodes it for the column's type in the trail (row-binary.ts): strings as a LEB128
 * length and their UTF-8 bytes, doubles as 8 little-endian bytes, timestamps as the integer the column
 * stores (milliseconds in DateTime64(3), seconds in 18.16's DateTime), arrays as a count and their
 * items. These are exactly the first bytes of the row the sink sends to ClickHouse, so the sink hashes
 * them as it writes them, and `trail verify` hashes the same bytes as ClickHouse returns them.
 *
 * Kafka positions and `ingested_at` are left out: a re-delivered decision is stored again with a new
 * `ingested_at` and must hash the same. `chain_seq` is left out too: it only numbers the links, so a
 * row moved to another place keeps a hash that checks out and shows as a broken link, not as an
 * altered row.
 *
 * Rows chained by earlier sinks hash the same columns as JSON text instead (`jsonChainHash`), which
 * cost the sink about a fifth of its main thread; `trail verify` accepts a row that matches either.
 * Both are SHA-256 commitments to the row's content, so accepting both proves no less.
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

/** The columns a chain hash covers, in the order they are encoded: the link, then the content. */
export const CHAIN_HASHED_COLUMNS = ["chain_prev", ...CHAINED_COLUMNS] as const;

/** The chain hash of the encoded chain_prev and chained columns of one row. */
export function chainHashOf(encoded: Uint8Array): string {
  return crypto.hash("sha256", encoded, "hex");
}

/**
 * Computes rows' chain hashes on their own, encoding the hashed columns with the trail's column
 * writers. The sink does not need it (its insert hashes the bytes it writes anyway); `trail verify`
 * and tools that chain rows outside the sink do.
 */
export class ChainHasher {
  private readonly writers: ColumnWriter[];
  private readonly scratch = new RowBinaryBuffer();

  /** `writerOf` gives the RowBinary writer of a `decisions` column's type in this trail. */
  constructor(writerOf: (column: string) => ColumnWriter) {
    this.writers = CHAIN_HASHED_COLUMNS.map(writerOf);
  }

  hash(row: Readonly<Record<string, unknown>>): string {
    const { scratch, writers } = this;
    scratch.clear();
    for (let i = 0; i < writers.length; i += 1) writers[i]!(scratch, row[CHAIN_HASHED_COLUMNS[i]!]);
    return chainHashOf(scratch.bytes());
  }
}

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

/**
 * The chain hash of rows chained before the RowBinary format, still accepted by `trail verify`:
 *
 *     hex(SHA-256(chain_prev + "\n" + JSON.stringify(values)))
 *
 * where values are the chained columns as ClickHouse returns them in JSON: timestamps as text (with
 * milliseconds only where the server keeps them), numbers through `String(Number(x))`, which gives the
 * same text for a JavaScript number and for ClickHouse's JSON output of it (64-bit integers arrive
 * quoted, doubles in shortest round-trip form).
 */
export function jsonChainHash(previous: string, row: Readonly<Record<string, unknown>>): string {
  const values = new Array<ChainedValue>(CHAINED_COLUMNS.length);
  for (let i = 0; i < CHAINED_COLUMNS.length; i += 1) values[i] = NORMALISERS[i]!(row[CHAINED_COLUMNS[i]!]);
  return crypto.hash("sha256", `${previous}\n${JSON.stringify(values)}`, "hex");
}

import crypto from "node:crypto";
import type { ProposedAction } from "./action.js";

/**
 * Canonical encodings: the exact bytes Mandate signs and hashes. Any language can reproduce them
 * from this file alone; the test vectors in test/unit/action-canonical.test.ts pin them down.
 *
 * ## Value format
 *
 * Every integer is big-endian. Each value starts with a one-byte tag:
 *
 * | value              | bytes                                                                  |
 * | ------------------ | ---------------------------------------------------------------------- |
 * | null               | `0x00`                                                                 |
 * | string             | `0x01`, uint32 byte length, the UTF-8 bytes                            |
 * | long               | `0x02`, int64 (two's complement)                                       |
 * | double             | `0x03`, IEEE-754 binary64 bits (every NaN as `0x7ff8000000000000`)     |
 * | list               | `0x04`, uint32 item count, then each item                              |
 * | record (non-null)  | `0x05`, then its fields                                                |
 *
 * An encoding is the domain tag (a string value) followed by the fields, in the order listed, each
 * in its type's format. There are no field names and no separators: the order is the schema, and
 * every value carries its tag and length, so two different values never share an encoding, whatever
 * the characters in them. Strings are taken as they are (no Unicode normalisation, no trimming);
 * `arguments_json` is the text byte for byte, never re-serialised JSON.
 *
 * ## Action — domain tag `mandate.action.v1`
 *
 * `action_id` string, `agent_id` string, `session_id` string, `session_task` string|null, `tool`
 * string, `operation` string, `resource` string|null, `destination` string|null, `arguments_json`
 * string, `intent` string|null, `proposed_at` long (epoch ms), `nonce` string, `key_id` string|null.
 * `signature` is not part of it. A field added to ActionProposed later is covered only by a new
 * version of this encoding.
 *
 * ## Action naming its executor group — domain tag `mandate.action.v2`
 *
 * The v1 fields in the same order, then `executor_group` string. Used exactly when the action names
 * an executor group; an action that names none keeps its v1 bytes, so what older agents signed still
 * verifies. The tags differ, so dropping the group from a signed action breaks its signature.
 *
 * - **Action hash**: lowercase hex SHA-256 of the encoding (what a capability binds to).
 * - **Action signature**: Ed25519 (RFC 8032, pure) over the encoding by the agent's key `key_id`,
 *   standard padded base64 in `signature`.
 *
 * Decision records and capabilities use the same value format: see decision-canonical.ts.
 */
export const ACTION_DOMAIN = "mandate.action.v1";
export const ACTION_DOMAIN_WITH_GROUP = "mandate.action.v2";

/** The signed fields of an action, in encoding order. */
export const ACTION_CANONICAL_FIELDS = [
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
  "nonce",
  "key_id",
  "executor_group",
] as const satisfies ReadonlyArray<keyof ProposedAction>;

/** Everything an action's signature covers: the action without its signature. */
export type SignedActionFields = Pick<ProposedAction, (typeof ACTION_CANONICAL_FIELDS)[number]>;

const TAG = { null: 0x00, string: 0x01, long: 0x02, double: 0x03, list: 0x04, record: 0x05 } as const;

/** Builds one canonical encoding, value by value, in the format documented above. */
export class CanonicalWriter {
  private readonly chunks: Buffer[] = [];

  constructor(domain: string) {
    this.string(domain);
  }

  string(value: string): this {
    const bytes = Buffer.from(value, "utf8");
    const head = Buffer.allocUnsafe(5);
    head.writeUInt8(TAG.string, 0);
    head.writeUInt32BE(bytes.length, 1);
    this.chunks.push(head, bytes);
    return this;
  }

  nullableString(value: string | null): this {
    return value === null ? this.null() : this.string(value);
  }

  long(value: number): this {
    const bytes = Buffer.allocUnsafe(9);
    bytes.writeUInt8(TAG.long, 0);
    // BigInt() throws on a non-integer: a long that is not one must not be signed as something else.
    bytes.writeBigInt64BE(BigInt(value), 1);
    this.chunks.push(bytes);
    return this;
  }

  nullableLong(value: number | null): this {
    return value === null ? this.null() : this.long(value);
  }

  double(value: number): this {
    const bytes = Buffer.allocUnsafe(9);
    bytes.writeUInt8(TAG.double, 0);
    if (Number.isNaN(value)) bytes.writeBigUInt64BE(0x7ff8000000000000n, 1);
    else bytes.writeDoubleBE(value, 1);
    this.chunks.push(bytes);
    return this;
  }

  list<T>(items: readonly T[], writeItem: (writer: this, item: T) => void): this {
    const head = Buffer.allocUnsafe(5);
    head.writeUInt8(TAG.list, 0);
    head.writeUInt32BE(items.length, 1);
    this.chunks.push(head);
    for (const item of items) writeItem(this, item);
    return this;
  }

  nullableRecord<T>(value: T | null, writeFields: (writer: this, value: T) => void): this {
    if (value === null) return this.null();
    this.chunks.push(Buffer.from([TAG.record]));
    writeFields(this, value);
    return this;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  private null(): this {
    this.chunks.push(Buffer.from([TAG.null]));
    return this;
  }
}

/** The canonical encoding of an action: the bytes its signature covers. */
export function canonicalActionBytes(action: SignedActionFields): Buffer {
  const group = action.executor_group ?? null;
  const writer = new CanonicalWriter(group === null ? ACTION_DOMAIN : ACTION_DOMAIN_WITH_GROUP)
    .string(action.action_id)
    .string(action.agent_id)
    .string(action.session_id)
    .nullableString(action.session_task)
    .string(action.tool)
    .string(action.operation)
    .nullableString(action.resource)
    .nullableString(action.destination)
    .string(action.arguments_json)
    .nullableString(action.intent)
    .long(action.proposed_at)
    .string(action.nonce)
    .nullableString(action.key_id);
  return (group === null ? writer : writer.string(group)).bytes();
}

/** Lowercase hex SHA-256 of the action's canonical encoding: what a capability is bound to. */
export function actionHash(action: SignedActionFields): string {
  return crypto.createHash("sha256").update(canonicalActionBytes(action)).digest("hex");
}

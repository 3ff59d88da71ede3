import type { AgentBehaviourSnapshot } from "../behaviour-drift/index.js";
import crypto from "node:crypto";
import type { ObservedSource, SessionHeader, SessionSnapshot } from "../provenance/index.js";
import type { ReplayEntry, ReplayWindowSnapshot } from "../workload-identity/index.js";

/**
 * What the decision engine remembers about one agent as plain data: the drift baseline and proposal
 * rate, the replay window, and its open sessions.
 */
export interface AgentState extends AgentRecord {
  replay: ReplayWindowSnapshot | undefined;
  sessions: SessionSnapshot[];
}

/** The agent's own record on the validator-state changelog: its baseline and rate. */
export interface AgentRecord {
  behaviour: AgentBehaviourSnapshot | undefined;
}

/**
 * A changelog key: an agent's record, one envelope of its replay window, one of its sessions, one value
 * or decided action of a session, or the action partition's next offset to decide (one per partition,
 * written by every transaction: see offsetRecord). Each has a record of its own, so a batch writes only what it admitted
 * and changed, not the agent's whole window (up to 20 000 envelopes), every session it still has open, or
 * a session's every value (up to 4 096) and action id (up to 1 024); an envelope's record is deleted when
 * it expires, a session's records when the bound evicts it, a value's or action's when its bound does.
 * A value's or action's key names it by a digest of the session and the value or id, which its record
 * holds: session ids and values are arbitrary strings.
 */
export type StateKey =
  | { kind: "agent"; agentId: string }
  | { kind: "replay"; agentId: string; nonce: string }
  | { kind: "session"; agentId: string; sessionId: string }
  | { kind: "session_value"; agentId: string; digest: string }
  | { kind: "session_action"; agentId: string; digest: string }
  | { kind: "offset"; partition: number };

const FORMAT_VERSION = 1;
const SEPARATOR = "\u0000";

export function stateKey(key: StateKey): string {
  if (key.kind === "offset") return `o${SEPARATOR}${key.partition}`;
  if (key.kind === "agent") return `a${SEPARATOR}${key.agentId}`;
  if (key.kind === "replay") return `r${SEPARATOR}${key.agentId}${SEPARATOR}${key.nonce}`;
  if (key.kind === "session_value") return `v${SEPARATOR}${key.agentId}${SEPARATOR}${key.digest}`;
  if (key.kind === "session_action") return `x${SEPARATOR}${key.agentId}${SEPARATOR}${key.digest}`;
  return `s${SEPARATOR}${key.agentId}${SEPARATOR}${key.sessionId}`;
}

/** The key of one value or decided action id of a session. */
export function sessionEntryKey(
  kind: "session_value" | "session_action",
  agentId: string,
  sessionId: string,
  entry: string,
): string {
  const digest = crypto.createHash("sha256").update(sessionId).update(SEPARATOR).update(entry).digest("base64url");
  return stateKey({ kind, agentId, digest: digest.slice(0, 22) });
}

/** The key a changelog record was written under; undefined for one this version does not know. */
export function parseStateKey(key: string): StateKey | undefined {
  const [kind, agentId, ...rest] = key.split(SEPARATOR);
  if (kind === "a" && agentId !== undefined && rest.length === 0) return { kind: "agent", agentId };
  if (kind === "s" && agentId !== undefined && rest.length > 0) {
    return { kind: "session", agentId, sessionId: rest.join(SEPARATOR) };
  }
  if (kind === "r" && agentId !== undefined && rest.length > 0) {
    return { kind: "replay", agentId, nonce: rest.join(SEPARATOR) };
  }
  if ((kind === "v" || kind === "x") && agentId !== undefined && rest.length === 1) {
    return { kind: kind === "v" ? "session_value" : "session_action", agentId, digest: rest[0] as string };
  }
  // The second field is the partition here, not an agent.
  if (kind === "o" && agentId !== undefined && /^\d+$/.test(agentId) && rest.length === 0) {
    return { kind: "offset", partition: Number(agentId) };
  }
  return undefined;
}

/**
 * A record's bytes: versioned JSON. Internal to validators (only they may read or write the topic). The
 * centroid's mean, float32 values the engine holds, goes as their bytes in base64 (536 characters for
 * 100 dimensions rather than about 2,000 as decimal text), which restores them exactly; a record with
 * the mean as numbers (the earlier format) is read too.
 */
export function encodeAgentRecord(record: AgentRecord): Buffer {
  const behaviour = record.behaviour;
  if (behaviour === undefined) return Buffer.from(JSON.stringify({ v: FORMAT_VERSION, behaviour: null }));
  const { mean, ...centroid } = behaviour.centroid;
  const float32 = Buffer.from(Float32Array.from(mean).buffer).toString("base64");
  return Buffer.from(
    JSON.stringify({ v: FORMAT_VERSION, behaviour: { ...behaviour, centroid: { ...centroid, float32 } } }),
  );
}

/** An envelope's record: the nonce is in the key. */
export function encodeReplayRecord(entry: Pick<ReplayEntry, "actionId" | "expiry">): Buffer {
  return Buffer.from(JSON.stringify({ v: FORMAT_VERSION, action_id: entry.actionId, expiry: entry.expiry }));
}

export function decodeReplayRecord(bytes: Buffer): Pick<ReplayEntry, "actionId" | "expiry"> {
  const record = parseVersioned(bytes);
  if (typeof record.action_id !== "string" || typeof record.expiry !== "number") {
    throw new Error("validator-state replay record without an action id or expiry");
  }
  return { actionId: record.action_id, expiry: record.expiry };
}

export function encodeSessionRecord(session: SessionHeader): Buffer {
  return Buffer.from(JSON.stringify({ v: FORMAT_VERSION, session }));
}

/**
 * One entry of a session, the record under its `sessionEntryKey`: a value its observations showed and
 * where, or an action it decided and that action's tool.
 */
export type SessionEntryRecord =
  { sessionId: string; value: string; source: ObservedSource } | { sessionId: string; actionId: string; tool: string };

export function encodeSessionEntryRecord(record: SessionEntryRecord): Buffer {
  return Buffer.from(JSON.stringify({ v: FORMAT_VERSION, ...record }));
}

export function decodeSessionEntryRecord(bytes: Buffer): SessionEntryRecord {
  const { sessionId, value, source, actionId, tool } = parseVersioned(bytes);
  if (typeof sessionId === "string" && typeof value === "string" && typeof source === "object" && source !== null) {
    return { sessionId, value, source: source as ObservedSource };
  }
  if (typeof sessionId === "string" && typeof actionId === "string" && typeof tool === "string") {
    return { sessionId, actionId, tool };
  }
  throw new Error("validator-state session entry record with neither a value and source nor an action and tool");
}

/** The next action offset to decide, as committed with the decisions before it. */
export function encodeOffsetRecord(next: number): Buffer {
  return Buffer.from(JSON.stringify({ v: FORMAT_VERSION, next }));
}

export function decodeOffsetRecord(bytes: Buffer): number {
  const { next } = parseVersioned(bytes);
  if (typeof next !== "number" || !Number.isSafeInteger(next) || next < 0) {
    throw new Error("validator-state offset record without a next offset");
  }
  return next;
}

/** Throws on a record this version cannot read: skipping it would forget what it holds, and reopen replays. */
export function decodeAgentRecord(bytes: Buffer): AgentRecord {
  const record = parseVersioned(bytes) as { behaviour?: AgentBehaviourSnapshot | null };
  const behaviour = record.behaviour ?? undefined;
  const centroid = behaviour?.centroid as (AgentBehaviourSnapshot["centroid"] & { float32?: string }) | undefined;
  if (behaviour === undefined || centroid?.float32 === undefined) return { behaviour };
  const { float32, ...rest } = centroid;
  const raw = Buffer.from(float32, "base64");
  // Copied: a Float32Array needs its own 4-byte aligned buffer.
  const mean = Array.from(new Float32Array(new Uint8Array(raw).buffer));
  return { behaviour: { ...behaviour, centroid: { ...rest, mean } } };
}

/** A session's header; a record of an earlier version holds the whole session, values and actions too. */
export function decodeSessionRecord(bytes: Buffer): SessionHeader | SessionSnapshot {
  const record = parseVersioned(bytes) as { session?: SessionHeader | SessionSnapshot };
  if (record.session === undefined || !Array.isArray(record.session.toolsUsed)) {
    throw new Error("validator-state session record without a session");
  }
  return record.session;
}

function parseVersioned(bytes: Buffer): Record<string, unknown> {
  const record = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
  if (record.v !== FORMAT_VERSION) throw new Error(`validator-state record of unknown format (v=${String(record.v)})`);
  return record;
}

import type { AgentBehaviourSnapshot } from "../behaviour-drift/index.js";
import type { SessionSnapshot } from "../provenance/index.js";
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
 * A changelog key: an agent's record, one envelope of its replay window, or one of its sessions. Envelopes
 * and sessions have records of their own, so a batch writes only what it admitted and the sessions it
 * touched, not the agent's whole window (up to 20 000 envelopes) and every session it still has open;
 * an envelope's record is deleted when it expires, a session's when the bound evicts it.
 */
export type StateKey =
  | { kind: "agent"; agentId: string }
  | { kind: "replay"; agentId: string; nonce: string }
  | { kind: "session"; agentId: string; sessionId: string };

const FORMAT_VERSION = 1;
const SEPARATOR = "\u0000";

export function stateKey(key: StateKey): string {
  if (key.kind === "agent") return `a${SEPARATOR}${key.agentId}`;
  if (key.kind === "replay") return `r${SEPARATOR}${key.agentId}${SEPARATOR}${key.nonce}`;
  return `s${SEPARATOR}${key.agentId}${SEPARATOR}${key.sessionId}`;
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
  return undefined;
}

/** A record's bytes: versioned JSON. Internal to validators (only they may read or write the topic). */
export function encodeAgentRecord(record: AgentRecord): Buffer {
  return Buffer.from(JSON.stringify({ v: FORMAT_VERSION, behaviour: record.behaviour ?? null }));
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

export function encodeSessionRecord(session: SessionSnapshot): Buffer {
  return Buffer.from(JSON.stringify({ v: FORMAT_VERSION, session }));
}

/** Throws on a record this version cannot read: skipping it would forget what it holds, and reopen replays. */
export function decodeAgentRecord(bytes: Buffer): AgentRecord {
  const record = parseVersioned(bytes) as { behaviour?: AgentBehaviourSnapshot | null };
  return { behaviour: record.behaviour ?? undefined };
}

export function decodeSessionRecord(bytes: Buffer): SessionSnapshot {
  const record = parseVersioned(bytes) as { session?: SessionSnapshot };
  if (record.session === undefined || !Array.isArray(record.session.values)) {
    throw new Error("validator-state session record without a session");
  }
  return record.session;
}

function parseVersioned(bytes: Buffer): Record<string, unknown> {
  const record = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
  if (record.v !== FORMAT_VERSION) throw new Error(`validator-state record of unknown format (v=${String(record.v)})`);
  return record;
}

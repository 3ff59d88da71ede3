import type { AgentBehaviourSnapshot } from "../behaviour-drift/index.js";
import type { SessionSnapshot } from "../provenance/index.js";
import type { ReplayWindowSnapshot } from "../workload-identity/index.js";

/**
 * Everything the decision engine remembers about one agent, as plain data: the drift baseline and
 * proposal rate, the replay window, and the agent's open sessions. One record per agent on the
 * validator-state changelog (key = agent id), written with every committed batch that touched the agent.
 */
export interface AgentState {
  behaviour: AgentBehaviourSnapshot | undefined;
  replay: ReplayWindowSnapshot | undefined;
  sessions: SessionSnapshot[];
}

const FORMAT_VERSION = 1;

/**
 * Bytes the sessions of one record may take; the oldest-opened sessions beyond it are left out. The
 * baseline, rate and replay window are bounded by their own limits (`maxValues`, the 60 s rate ring,
 * `replayWindowMaxPerAgent`) and are never cut: a replay window written short would accept a replay.
 * NOTE: a session left out is restored as unknown, which fails closed (its values are unexplained and
 * its results are refused as results of actions it never had decided).
 */
export const SESSION_BYTES_PER_RECORD = 2 * 1024 * 1024;

/** The record's bytes: versioned JSON. Internal to validators (only they may read or write the topic). */
export function encodeAgentState(state: AgentState): Buffer {
  let sessions = state.sessions;
  let sessionBytes = Buffer.byteLength(JSON.stringify(sessions));
  while (sessionBytes > SESSION_BYTES_PER_RECORD && sessions.length > 0) {
    sessions = sessions.slice(1);
    sessionBytes = Buffer.byteLength(JSON.stringify(sessions));
  }
  const record = { v: FORMAT_VERSION, behaviour: state.behaviour ?? null, replay: state.replay ?? null, sessions };
  return Buffer.from(JSON.stringify(record));
}

/** The state in a changelog record. Throws on a record this version cannot read: forgetting it would reopen replays. */
export function decodeAgentState(bytes: Buffer): AgentState {
  const record = JSON.parse(bytes.toString("utf8")) as {
    v?: unknown;
    behaviour?: AgentBehaviourSnapshot | null;
    replay?: ReplayWindowSnapshot | null;
    sessions?: SessionSnapshot[];
  };
  if (record.v !== FORMAT_VERSION || !Array.isArray(record.sessions)) {
    throw new Error(`validator-state record of unknown format (v=${String(record.v)})`);
  }
  return { behaviour: record.behaviour ?? undefined, replay: record.replay ?? undefined, sessions: record.sessions };
}

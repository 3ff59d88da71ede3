import type { ObservedValues } from "./observed-values.js";

/** Where a value was seen in a session's observations: the first tool of each kind that showed it. */
export interface ObservedSource {
  /** A tool whose output showed the value in a record without injected instructions. */
  cleanTool: string | null;
  /** That clean tool reads a source others can write to (inbound mail, messages, web pages). */
  cleanUntrusted: boolean;
  /** Some clean output held the value as a whole field (an id, an amount), not as words in prose. */
  cleanStructured: boolean;
  /** A tool whose output showed the value inside a record that carried instructions aimed at the model. */
  injectedTool: string | null;
}

export interface ProvenanceLimits {
  /** Open sessions held; the least recently used is evicted beyond it. */
  maxSessions: number;
  /** Values held per session; the oldest are evicted beyond it, and the session is marked. */
  maxValuesPerSession: number;
  /** Decided action ids held per session, to tell a result for a known action from a forged one. */
  maxActionsPerSession: number;
}

export const DEFAULT_PROVENANCE_LIMITS: ProvenanceLimits = {
  maxSessions: 10_000,
  maxValuesPerSession: 4_096,
  maxActionsPerSession: 1_024,
};

/** What one session has seen. */
export interface SessionState {
  values: Map<string, ObservedSource>;
  /** Stems of the words of injected records, and the tools that returned them. */
  injectedStems: Set<string>;
  injectedTools: string[];
  /** Tools this session has proposed, in order of first use. */
  toolsUsed: Set<string>;
  /** Action id → tool, for the actions decided in this session. */
  actions: Map<string, string>;
  /** Values were evicted: a value missing from `values` may have been seen. */
  evicted: boolean;
}

const MAX_INJECTED_STEMS = 2_048;

/** One session as plain data: what the validator-state changelog carries. */
export interface SessionSnapshot {
  sessionId: string;
  values: Array<[string, ObservedSource]>;
  injectedStems: string[];
  injectedTools: string[];
  toolsUsed: string[];
  actions: Array<[string, string]>;
  evicted: boolean;
}

/**
 * Per-session provenance, bounded: at most `maxSessions` sessions (oldest opened evicted first)
 * and `maxValuesPerSession` values each (oldest first). Every eviction is counted, so an operator sees
 * when the bounds are too tight; a session that lost values says so, and the decision treats a value
 * it cannot trace as unexplained (flagged by alignment), never as clean.
 */
export class SessionProvenance {
  private readonly sessions = new Map<string, SessionState>();
  /** Sessions changed since `beginBatch`, until `endBatch`. */
  private touched: Set<string> | null = null;
  /** Sessions evicted since `takeEvicted` was last called, for the validator-state changelog's tombstones. */
  private evictedKeys: Array<{ agentId: string; sessionId: string }> = [];
  /** Sessions and values evicted since start, for the metric. */
  evictedSessions = 0;
  evictedValues = 0;

  constructor(private readonly limits: ProvenanceLimits = DEFAULT_PROVENANCE_LIMITS) {}

  get openSessions(): number {
    return this.sessions.size;
  }

  /** The session's state, or undefined when it has none (never seen, or evicted). */
  find(agentId: string, sessionId: string): SessionState | undefined {
    // NOTE: a look-up does not move the session: sessions are evicted oldest-opened first (Map
    // iteration order), which needs no bookkeeping on the decision path.
    return this.sessions.get(sessionKey(agentId, sessionId));
  }

  /** Journals the sessions changed from now until `endBatch`; returns the journal. */
  beginBatch(): ReadonlySet<string> {
    this.touched = new Set();
    return this.touched;
  }

  endBatch(): void {
    this.touched = null;
  }

  /**
   * The batch's transaction was aborted and its messages will be decided again. What its observations
   * and decisions added to a session cannot be told apart from what earlier batches added, so every
   * session the batch changed is forgotten: kept, a re-decided action would see observations that
   * reached the partition after it, and could be approved on what the agent had not yet read. A
   * forgotten session starts again marked evicted, so its untraced values are judged unexplained and
   * the decision says why (fail closed: flagged, never approved on provenance it lost).
   */
  abortBatch(journal: ReadonlySet<string>): void {
    for (const key of journal) {
      const state = this.sessions.get(key);
      if (state === undefined) continue;
      // The ids of decided actions stay: a result for one of them is still a result, not a forgery.
      this.sessions.set(key, { ...emptyState(), actions: state.actions, evicted: true });
      this.evictedSessions++;
    }
  }

  /** The agent's sessions, oldest opened first: for tests and the restore benchmark. */
  snapshotAgent(agentId: string): SessionSnapshot[] {
    const prefix = sessionKey(agentId, "");
    const snapshots: SessionSnapshot[] = [];
    for (const [key, state] of this.sessions) {
      if (key.startsWith(prefix)) snapshots.push(snapshotOf(key.slice(prefix.length), state));
    }
    return snapshots;
  }

  /** One session as plain data (undefined when it is not held): its validator-state changelog record. */
  snapshotSession(agentId: string, sessionId: string): SessionSnapshot | undefined {
    const state = this.find(agentId, sessionId);
    return state && snapshotOf(sessionId, state);
  }

  /** Replaces one session with a snapshot (undefined: forgets it), as a restore after a restart or a partition move does. */
  restoreSession(agentId: string, sessionId: string, snapshot: SessionSnapshot | undefined): void {
    this.sessions.delete(sessionKey(agentId, sessionId));
    if (snapshot === undefined) return;
    const state = this.open(agentId, sessionId);
    for (const [value, source] of snapshot.values) state.values.set(value, { ...source });
    for (const stem of snapshot.injectedStems) state.injectedStems.add(stem);
    state.injectedTools.push(...snapshot.injectedTools);
    for (const tool of snapshot.toolsUsed) state.toolsUsed.add(tool);
    for (const [actionId, tool] of snapshot.actions) state.actions.set(actionId, tool);
    state.evicted = snapshot.evicted;
  }

  /** Forgets every session of the agent (its partition went to another validator). */
  forgetAgent(agentId: string): void {
    const prefix = sessionKey(agentId, "");
    for (const key of [...this.sessions.keys()]) if (key.startsWith(prefix)) this.sessions.delete(key);
  }

  /** The sessions the bound evicted since the last call: their changelog records are to be deleted too. */
  takeEvicted(): Array<{ agentId: string; sessionId: string }> {
    const evicted = this.evictedKeys;
    this.evictedKeys = [];
    return evicted;
  }

  /** The session's state, opened when missing. */
  open(agentId: string, sessionId: string): SessionState {
    this.touched?.add(sessionKey(agentId, sessionId));
    const found = this.find(agentId, sessionId);
    if (found) return found;
    const state = emptyState();
    this.sessions.set(sessionKey(agentId, sessionId), state);
    while (this.sessions.size > this.limits.maxSessions) {
      const oldest = this.sessions.keys().next().value as string;
      this.sessions.delete(oldest);
      this.evictedSessions++;
      const separator = oldest.indexOf("\u0000");
      this.evictedKeys.push({ agentId: oldest.slice(0, separator), sessionId: oldest.slice(separator + 1) });
      // Bounded for callers that never take them (the CLI, the evaluation). A tombstone missed this way
      // leaves a stale session in the changelog: restored, it is the oldest and the bound evicts it again.
      if (this.evictedKeys.length > this.limits.maxSessions) this.evictedKeys.shift();
    }
    return state;
  }

  /** A decided action of the session: its tool is now used, and a result may name its id. */
  recordAction(agentId: string, sessionId: string, actionId: string, tool: string): void {
    const state = this.open(agentId, sessionId);
    state.toolsUsed.add(tool);
    state.actions.set(actionId, tool);
    if (state.actions.size > this.limits.maxActionsPerSession) {
      state.actions.delete(state.actions.keys().next().value as string);
    }
  }

  /** Adds what one observation showed. */
  recordObservation(state: SessionState, tool: string, untrusted: boolean, seen: ObservedValues): void {
    for (const value of seen.clean) {
      const source = this.sourceOf(state, value);
      if (source.cleanTool === null || (source.cleanUntrusted && !untrusted)) {
        source.cleanTool = tool;
        source.cleanUntrusted = untrusted;
      }
      if (seen.structured.has(value)) source.cleanStructured = true;
    }
    for (const value of seen.injected) {
      const source = this.sourceOf(state, value);
      source.injectedTool ??= tool;
    }
    if (seen.injectedPhrases.length > 0) {
      if (!state.injectedTools.includes(tool)) state.injectedTools.push(tool);
      for (const stem of seen.injectedStems) {
        if (state.injectedStems.size >= MAX_INJECTED_STEMS) break;
        state.injectedStems.add(stem);
      }
    }
  }

  private sourceOf(state: SessionState, value: string): ObservedSource {
    let source = state.values.get(value);
    if (source === undefined) {
      source = { cleanTool: null, cleanUntrusted: false, cleanStructured: false, injectedTool: null };
      state.values.set(value, source);
      if (state.values.size > this.limits.maxValuesPerSession) {
        state.values.delete(state.values.keys().next().value as string);
        state.evicted = true;
        this.evictedValues++;
      }
    }
    return source;
  }
}

const sessionKey = (agentId: string, sessionId: string): string => `${agentId}\u0000${sessionId}`;

function snapshotOf(sessionId: string, state: SessionState): SessionSnapshot {
  return {
    sessionId,
    values: [...state.values].map(([value, source]) => [value, { ...source }]),
    injectedStems: [...state.injectedStems],
    injectedTools: [...state.injectedTools],
    toolsUsed: [...state.toolsUsed],
    actions: [...state.actions],
    evicted: state.evicted,
  };
}

function emptyState(): SessionState {
  return {
    values: new Map(),
    injectedStems: new Set(),
    injectedTools: [],
    toolsUsed: new Set(),
    actions: new Map(),
    evicted: false,
  };
}

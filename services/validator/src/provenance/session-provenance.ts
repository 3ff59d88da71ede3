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

/** One session as plain data (tests, benchmarks, and the changelog records of an earlier version). */
export interface SessionSnapshot extends SessionHeader {
  values: Array<[string, ObservedSource]>;
  actions: Array<[string, string]>;
}

/**
 * A session without its values and decided actions: its own validator-state changelog record. Each
 * value and each action has a record of its own (SessionChange), so a batch writes what it changed,
 * not everything the session holds (up to `maxValuesPerSession` values and `maxActionsPerSession` ids).
 */
export interface SessionHeader {
  sessionId: string;
  injectedStems: string[];
  injectedTools: string[];
  toolsUsed: string[];
  evicted: boolean;
}

/**
 * What changed in one session since the changes were last taken, for the changelog: its header (null
 * when the session is no longer held) and each value and action id added, changed or dropped (null).
 */
export interface SessionChange {
  agentId: string;
  sessionId: string;
  header: SessionHeader | null;
  values: Array<[string, ObservedSource | null]>;
  actions: Array<[string, string | null]>;
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
  /**
   * Session key → the values and action ids changed since `takeChanges` was last called. Kept once a
   * caller brackets batches (the validator, which writes them to its changelog); the evaluation and the
   * CLI never take them.
   */
  private changes: Map<string, { values: Set<string>; actions: Set<string> }> | undefined;
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
    this.changes ??= new Map();
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
      const change = this.changeOf(key);
      for (const value of state.values.keys()) change?.values.add(value);
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

  /**
   * Replaces one session with its header (undefined: forgets it), as a restore after a restart or a
   * partition move does; its values and actions follow (restoreValue, restoreAction). A snapshot that
   * still holds them (a record of an earlier version) restores them too, and they count as changed, so
   * that the next batch writes each its own record before the header's next record drops them.
   */
  restoreSession(agentId: string, sessionId: string, header: SessionHeader | SessionSnapshot | undefined): void {
    // A restore is a changelog's: what the bound evicts from here on is to be deleted from it too.
    this.changes ??= new Map();
    const key = sessionKey(agentId, sessionId);
    this.sessions.delete(key);
    if (header === undefined) return;
    const state = this.open(key);
    for (const stem of header.injectedStems) state.injectedStems.add(stem);
    state.injectedTools.push(...header.injectedTools);
    for (const tool of header.toolsUsed) state.toolsUsed.add(tool);
    state.evicted = header.evicted;
    if (!("values" in header)) return;
    const change = this.changeOf(key);
    for (const [value, source] of header.values) {
      state.values.set(value, { ...source });
      change?.values.add(value);
    }
    for (const [actionId, tool] of header.actions) {
      state.actions.set(actionId, tool);
      change?.actions.add(actionId);
    }
  }

  /** One value of a restored session (none when the session itself was not restored). */
  restoreValue(agentId: string, sessionId: string, value: string, source: ObservedSource): void {
    this.find(agentId, sessionId)?.values.set(value, { ...source });
  }

  /** One decided action of a restored session (none when the session itself was not restored). */
  restoreAction(agentId: string, sessionId: string, actionId: string, tool: string): void {
    this.find(agentId, sessionId)?.actions.set(actionId, tool);
  }

  /** Forgets every session of the agent (its partition went to another validator), and what changed in them. */
  forgetAgent(agentId: string): void {
    const prefix = sessionKey(agentId, "");
    for (const key of [...this.sessions.keys()]) if (key.startsWith(prefix)) this.sessions.delete(key);
    for (const key of [...(this.changes?.keys() ?? [])]) if (key.startsWith(prefix)) this.changes?.delete(key);
  }

  /**
   * What changed in each session since the last call (sessions the bound evicted included, as deletions),
   * for the changelog: only after a first `beginBatch`.
   */
  takeChanges(): SessionChange[] {
    const taken: SessionChange[] = [];
    for (const [key, changed] of this.changes ?? []) {
      const separator = key.indexOf("\u0000");
      const state = this.sessions.get(key);
      taken.push({
        agentId: key.slice(0, separator),
        sessionId: key.slice(separator + 1),
        header: state === undefined ? null : headerOf(key.slice(separator + 1), state),
        values: [...changed.values].map((value) => {
          const source = state?.values.get(value);
          return [value, source === undefined ? null : { ...source }];
        }),
        actions: [...changed.actions].map((actionId) => [actionId, state?.actions.get(actionId) ?? null]),
      });
    }
    this.changes?.clear();
    return taken;
  }

  /** The change record of a session, when changes are kept. */
  private changeOf(key: string): { values: Set<string>; actions: Set<string> } | undefined {
    if (this.changes === undefined) return undefined;
    let change = this.changes.get(key);
    if (change === undefined) {
      change = { values: new Set(), actions: new Set() };
      this.changes.set(key, change);
    }
    return change;
  }

  /**
   * The session's state, opened when missing (which may evict the oldest). What changes in it is for
   * the caller to mark (changeOf): a restore changes nothing the changelog does not hold already.
   */
  private open(key: string): SessionState {
    this.touched?.add(key);
    const found = this.sessions.get(key);
    if (found) return found;
    const state = emptyState();
    this.sessions.set(key, state);
    while (this.sessions.size > this.limits.maxSessions) {
      const oldest = this.sessions.keys().next().value as string;
      const evicted = this.sessions.get(oldest) as SessionState;
      this.sessions.delete(oldest);
      this.evictedSessions++;
      // Its records are deleted with it: the header, each value and each action id.
      const change = this.changeOf(oldest);
      for (const value of evicted.values.keys()) change?.values.add(value);
      for (const actionId of evicted.actions.keys()) change?.actions.add(actionId);
    }
    return state;
  }

  /** A decided action of the session: its tool is now used, and a result may name its id. */
  recordAction(agentId: string, sessionId: string, actionId: string, tool: string): void {
    const key = sessionKey(agentId, sessionId);
    const state = this.open(key);
    const change = this.changeOf(key);
    state.toolsUsed.add(tool);
    state.actions.set(actionId, tool);
    change?.actions.add(actionId);
    if (state.actions.size > this.limits.maxActionsPerSession) {
      const oldest = state.actions.keys().next().value as string;
      state.actions.delete(oldest);
      change?.actions.add(oldest);
    }
  }

  /** Adds what one observation showed. */
  recordObservation(agentId: string, sessionId: string, tool: string, untrusted: boolean, seen: ObservedValues): void {
    const key = sessionKey(agentId, sessionId);
    const state = this.open(key);
    const change = this.changeOf(key);
    const sourceOf = (value: string): ObservedSource => {
      change?.values.add(value);
      let source = state.values.get(value);
      if (source === undefined) {
        source = { cleanTool: null, cleanUntrusted: false, cleanStructured: false, injectedTool: null };
        state.values.set(value, source);
        if (state.values.size > this.limits.maxValuesPerSession) {
          const oldest = state.values.keys().next().value as string;
          state.values.delete(oldest);
          change?.values.add(oldest);
          state.evicted = true;
          this.evictedValues++;
        }
      }
      return source;
    };
    for (const value of seen.clean) {
      const source = sourceOf(value);
      if (source.cleanTool === null || (source.cleanUntrusted && !untrusted)) {
        source.cleanTool = tool;
        source.cleanUntrusted = untrusted;
      }
      if (seen.structured.has(value)) source.cleanStructured = true;
    }
    for (const value of seen.injected) {
      const source = sourceOf(value);
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
}

const sessionKey = (agentId: string, sessionId: string): string => `${agentId}\u0000${sessionId}`;

function snapshotOf(sessionId: string, state: SessionState): SessionSnapshot {
  return {
    ...headerOf(sessionId, state),
    values: [...state.values].map(([value, source]) => [value, { ...source }]),
    actions: [...state.actions],
  };
}

function headerOf(sessionId: string, state: SessionState): SessionHeader {
  return {
    sessionId,
    injectedStems: [...state.injectedStems],
    injectedTools: [...state.injectedTools],
    toolsUsed: [...state.toolsUsed],
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

export interface ReplayCacheOptions {
  /**
   * How long after its `proposed_at` an envelope is remembered. It must cover the freshness window
   * (an envelope older than the clock skew is refused as stale anyway, so forgetting it then is safe);
   * the identity check uses twice the skew, so a clock that steps back does not reopen the window.
   */
  retentionMs: number;
  /**
   * Most envelopes remembered per agent. An agent that fills its window is refused until entries
   * age out — failing closed rather than forgetting what could then be replayed. This caps one
   * agent at `maxEntriesPerAgent / retentionMs` actions per millisecond, and memory at agents × cap.
   */
  maxEntriesPerAgent: number;
}

export type ReplayVerdict = "fresh" | "replayed_nonce" | "replayed_action_id" | "window_full";

/** One remembered envelope: one record of the validator-state changelog. */
export interface ReplayEntry {
  agentId: string;
  nonce: string;
  actionId: string;
  /** Epoch ms after which it is forgotten. */
  expiry: number;
}

/**
 * Expired entries kept for `takeExpired` at most; beyond it the oldest go untold. NOTE: a changelog
 * record whose tombstone was missed this way is restored already expired, and dropped at first use.
 */
const MAX_EXPIRED_KEPT = 100_000;

/** One agent's window as plain data, oldest first. */
export interface ReplayWindowSnapshot {
  /** [nonce, expiry epoch ms] */
  nonces: Array<[string, number]>;
  /** [action id, expiry epoch ms] */
  actionIds: Array<[string, number]>;
}

interface AgentWindow {
  /** nonce → expiry; insertion order is roughly expiry order, which is what pruning relies on. */
  nonces: Map<string, number>;
  actionIds: Map<string, number>;
}

/**
 * Per-agent memory of the nonces and action ids of verified envelopes, for the freshness window.
 * Only envelopes whose signature verified are remembered, so forgeries cannot fill an agent's window.
 *
 * Batches: the validator decides a partition batch and then commits it in one Kafka transaction. If
 * the transaction fails, the batch is decided again; what it admitted must be forgotten first, or
 * every action in it would come back as its own replay. `beginBatch` starts a journal and `endBatch`
 * stops it (the decisions are made); once the transaction ends, a commit just drops the journal and
 * `abortBatch` forgets what it admitted. Several batches (of different partitions, so of different
 * agents) can await their transactions at once. Outside a batch (the CLI, the evaluation), admissions
 * are kept at once.
 */
export class ReplayCache {
  private readonly agents = new Map<string, AgentWindow>();
  private journal: ReplayEntry[] | undefined;
  /** Entries pruned since `takeExpired` was last called: their changelog records are to be deleted. */
  private expired: Array<{ agentId: string; nonce: string }> = [];
  private lastSweep = 0;

  constructor(private readonly options: ReplayCacheOptions) {}

  /** Remembers the envelope if it is fresh; otherwise says what it replays. */
  admit(agentId: string, nonce: string, actionId: string, proposedAt: number, now: number): ReplayVerdict {
    this.sweep(now);
    const window = this.agents.get(agentId) ?? { nonces: new Map(), actionIds: new Map() };
    this.prune(agentId, window, now);
    if (window.nonces.has(nonce)) return "replayed_nonce";
    if (window.actionIds.has(actionId)) return "replayed_action_id";
    if (window.nonces.size >= this.options.maxEntriesPerAgent) return "window_full";
    const expiry = Math.max(proposedAt, now) + this.options.retentionMs;
    window.nonces.set(nonce, expiry);
    window.actionIds.set(actionId, expiry);
    this.agents.set(agentId, window);
    this.journal?.push({ agentId, nonce, actionId, expiry });
    return "fresh";
  }

  /** Journals what is admitted from now until `endBatch` into a new journal, which it returns. */
  beginBatch(): ReplayEntry[] {
    this.journal = [];
    return this.journal;
  }

  endBatch(): void {
    this.journal = undefined;
  }

  /** Forgets what `journal`'s batch admitted: its transaction was aborted. */
  abortBatch(journal: readonly ReplayEntry[]): void {
    for (const { agentId, nonce, actionId } of journal) {
      const window = this.agents.get(agentId);
      window?.nonces.delete(nonce);
      window?.actionIds.delete(actionId);
    }
  }

  /** What the open batch admitted so far, oldest first: its changelog records. */
  get batchAdmissions(): readonly ReplayEntry[] {
    return this.journal ?? [];
  }

  /** Entries forgotten since the last call, for their changelog tombstones. */
  takeExpired(): Array<{ agentId: string; nonce: string }> {
    const expired = this.expired;
    this.expired = [];
    return expired;
  }

  /** Remembers a restored entry (a restore after a restart or partition move); entries come oldest first. */
  restoreEntry({ agentId, nonce, actionId, expiry }: ReplayEntry): void {
    let window = this.agents.get(agentId);
    if (window === undefined) {
      window = { nonces: new Map(), actionIds: new Map() };
      this.agents.set(agentId, window);
    }
    window.nonces.set(nonce, expiry);
    window.actionIds.set(actionId, expiry);
  }

  /** The agent's unexpired entries at `now`, or undefined when it has none. */
  snapshot(agentId: string, now: number): ReplayWindowSnapshot | undefined {
    const window = this.agents.get(agentId);
    if (window === undefined) return undefined;
    this.prune(agentId, window, now);
    if (window.nonces.size === 0 && window.actionIds.size === 0) return undefined;
    return { nonces: [...window.nonces], actionIds: [...window.actionIds] };
  }

  /**
   * Replaces the agent's window with a snapshot (undefined: forgets it), as a restore after a restart or
   * a partition move does. Entries keep their recorded expiry, so a restored window refuses exactly what
   * the lost one would have.
   */
  restore(agentId: string, snapshot: ReplayWindowSnapshot | undefined): void {
    if (snapshot === undefined) {
      this.agents.delete(agentId);
      return;
    }
    this.agents.set(agentId, { nonces: new Map(snapshot.nonces), actionIds: new Map(snapshot.actionIds) });
  }

  /** Envelopes remembered, over all agents. */
  get size(): number {
    let total = 0;
    for (const window of this.agents.values()) total += window.nonces.size;
    return total;
  }

  get agentCount(): number {
    return this.agents.size;
  }

  /** Once per retention period, drop what every agent's window has aged out, and idle agents altogether. */
  private sweep(now: number): void {
    if (now - this.lastSweep < this.options.retentionMs) return;
    this.lastSweep = now;
    for (const [agentId, window] of this.agents) {
      this.prune(agentId, window, now);
      if (window.nonces.size === 0) this.agents.delete(agentId);
    }
  }

  /**
   * Drops expired entries from the front. An entry behind a longer-lived one waits for it, so an
   * entry may be kept a little past its expiry, never dropped before it.
   */
  private prune(agentId: string, window: AgentWindow, now: number): void {
    for (const [nonce, expiry] of window.nonces) {
      if (expiry > now) break;
      window.nonces.delete(nonce);
      this.expired.push({ agentId, nonce });
    }
    if (this.expired.length > MAX_EXPIRED_KEPT) this.expired.splice(0, this.expired.length - MAX_EXPIRED_KEPT);
    for (const [actionId, expiry] of window.actionIds) {
      if (expiry > now) break;
      window.actionIds.delete(actionId);
    }
  }
}

import type {
  ProposedAction,
  AgentObservation,
  AxisScores,
  Reason,
  Verdict,
  PolicySetRecord,
  AgentRegistration,
} from "@mandate/contracts";
import type { PayloadFinding } from "./payload-safety/index.js";
import type { ObservedSource, SessionChange, SessionHeader, SessionSnapshot } from "./provenance/index.js";
import type { AgentRecord, AgentState } from "./validator-state/agent-state.js";
import type { BehaviourJournal } from "./behaviour-drift/behaviour-store.js";
import type { ReplayEntry } from "./workload-identity/index.js";

/** What deciding one action yields, before it is wrapped into a signed, timestamped decision record. */
export interface ActionDecision {
  verdict: Verdict;
  scores: AxisScores;
  reasons: Reason[];
  policyVersion: string;
  /** What the payload axis found; findings that carry a `secret` are redacted from the trail. */
  payloadFindings: PayloadFinding[];
}

/**
 * What the engine did with something the agent saw. `taken: false` means the observation changed
 * nothing (unknown agent, an action id this session never had decided, unreadable): the validator
 * dead-letters it with `code` and `reason` and moves on.
 */
export type ObservationReceipt =
  | {
      taken: true;
      /** Consequential values (recipients, accounts, URLs, paths, amounts …) now known to the session. */
      values: number;
      /** Its text carried instructions aimed at the model. */
      injected: boolean;
      /** It came from a source others can write to (inbound mail, messages, web pages). */
      untrusted: boolean;
      reasons: Reason[];
    }
  | { taken: false; code: string; reason: string };

export interface SessionStats {
  openSessions: number;
  evictedSessions: number;
  evictedValues: number;
}

export type PolicySetResult = { ok: true } | { ok: false; errors: string[] };

/** The validator asks one question per action, and hands over policy sets as they arrive. */
export interface DecisionEngine {
  decideAction(action: ProposedAction, registration: AgentRegistration | undefined, now: number): ActionDecision;
  /**
   * Something the agent saw (a tool's result, what it read outside Mandate), in the order it reached
   * the agent's partition: later decisions in the same session know where each value came from.
   */
  observeSession(
    observation: AgentObservation,
    registration: AgentRegistration | undefined,
    now: number,
  ): ObservationReceipt;
  /** Open sessions and what their bounds evicted since start, for the metrics. */
  sessionStats(): SessionStats;
  /** A reviewer approved a flagged action: it enters the agent's baseline like an approval. */
  recordReviewedApproval(action: ProposedAction, now: number): void;
  /** All or nothing: a refused set leaves the version in force untouched. */
  applyPolicySet(record: PolicySetRecord): PolicySetResult;
  /**
   * Brackets the decisions of one transaction: what the engine is asked between `beginBatch` and
   * `endBatch` (called without awaiting in between) is journaled in the batch it returns. When the
   * transaction ends, `commitBatch` keeps it; `abortBatch` forgets what those decisions wrote to the
   * state (replay window, rate, drift baseline, sessions): an aborted batch is re-delivered and must
   * count once, not twice. Batches of different partitions (different agents) may await their
   * transactions at once.
   */
  beginBatch?(): EngineBatch;
  endBatch?(): void;
  commitBatch?(batch: EngineBatch): void;
  abortBatch?(batch: EngineBatch): void;
  /** Everything the engine remembers about one agent, its sessions included (tests, benchmarks). */
  agentState(agentId: string, now: number): AgentState;
  /**
   * The validator-state changelog's records (validator-state/): one agent's baseline and rate, each
   * envelope in its replay window, each of its sessions; restored after a restart or rebalance, undefined
   * meaning nothing is known. What the window and the session bound forget is taken so that its records
   * can be deleted too.
   */
  agentRecord(agentId: string): AgentRecord;
  restoreAgentRecord(agentId: string, record: AgentRecord | undefined): void;
  /** The envelopes the open batch admitted to the replay window. */
  readonly replayAdmissions: readonly ReplayEntry[];
  takeExpiredReplays(): Array<{ agentId: string; nonce: string }>;
  restoreReplayEntry(entry: ReplayEntry): void;
  /**
   * What changed in each session since the last call, once batches are bracketed: the header, and each
   * value and decided action id added, changed or dropped (null), the sessions the bound evicted too.
   */
  takeSessionChanges(): SessionChange[];
  /** A session's header (or, from an earlier version's record, the whole session); its values and actions follow. */
  restoreSessionState(agentId: string, sessionId: string, session: SessionHeader | SessionSnapshot | undefined): void;
  restoreSessionValue(agentId: string, sessionId: string, value: string, source: ObservedSource): void;
  restoreSessionAction(agentId: string, sessionId: string, actionId: string, tool: string): void;
  /** Forgets everything about the agent: its partition is now another validator's. */
  forgetAgent(agentId: string): void;
}

/** One batch's journal, from beginBatch until its transaction ends. */
export interface EngineBatch {
  readonly replay: readonly ReplayEntry[];
  readonly behaviour: BehaviourJournal;
  readonly sessions: ReadonlySet<string>;
  /** Reviewed approvals for agents this batch changed, applied once its transaction ends. */
  readonly reviewed: Array<{ action: ProposedAction; now: number }>;
}

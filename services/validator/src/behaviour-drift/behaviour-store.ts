import type { DriftThresholds } from "./drift-thresholds.js";
import type { ProposedAction, Reason } from "@mandate/contracts";
import type { AgentBehaviourSnapshot } from "./agent-behaviour.js";

export interface DriftInput {
  action: ProposedAction;
  /** The action's unit vector from the alignment axis. */
  actionVector: Float32Array;
  /** Normalised intent-carrying values (recipients, hosts, accounts, paths) found in the action. */
  intentValues: readonly string[];
  /** The registration names the tool: its first use is information, not drift. */
  registeredTool: boolean;
  /** Epoch ms of the decision, the `now` given to `observeProposal`: the store reads no clock of its own, so a replay decides alike. */
  now: number;
}

export interface DriftAssessment {
  /** 0 (as usual) .. 1 (far from this agent's behaviour). */
  score: number;
  reasons: Reason[];
  /** This agent's proposals in the last 60 s, including this one. */
  ratePerMinute: number;
}

/**
 * Per-agent behaviour state behind one interface, so a later version can back it with a
 * changelog topic (restored on restart and rebalance) without touching its callers.
 */
export interface BehaviourStore {
  /** Called for every proposed action, before deciding; counts it and returns the agent's proposals in the last 60 s. */
  observeProposal(agentId: string, now: number): number;
  /** Scores the action against the agent's approved behaviour; changes nothing. */
  assessDrift(input: DriftInput, ratePerMinute: number): DriftAssessment;
  /** Called only for approved actions (a reviewer's approval included): they are the baseline. */
  recordApproved(input: DriftInput): void;
  /**
   * Called for flagged actions: their tool and destination count as seen (not approved), so the next
   * use is not "new" again — a flag must not perpetuate itself.
   */
  recordSeen(input: DriftInput): void;
  /** Intent values seen in this agent's recent approved actions (bounded). */
  recentValues(agentId: string): ReadonlySet<string>;
  /** For snapshots, tests and memory reports; undefined for an agent the store does not hold. */
  snapshot(agentId: string): AgentBehaviourSnapshot | undefined;
  /** Replaces what the store holds for the snapshot's agent (a restore after a restart or partition move). */
  restore(snapshot: AgentBehaviourSnapshot): void;
  /** Drops the agent: a restore found no state for it. */
  forget(agentId: string): void;
  /**
   * Bracket the decisions of one Kafka transaction: `beginBatch` journals every agent changed from then
   * until `endBatch` (as it was before), and returns the journal. If the transaction is aborted,
   * `abortBatch` puts every agent the batch changed back (rate, baseline, seen tools): the batch is
   * decided again, and must count once, not twice. Committed, the journal is just dropped.
   */
  beginBatch(): BehaviourJournal;
  endBatch(): void;
  abortBatch(journal: BehaviourJournal): void;
  /** A new policy version brings new thresholds; what the agents' history holds stays. */
  useThresholds(thresholds: DriftThresholds): void;
}

/** Each agent a batch changed, as it was before the batch (null: it did not exist). */
export type BehaviourJournal = ReadonlyMap<string, AgentBehaviourSnapshot | null>;

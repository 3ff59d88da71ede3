import { AgentBehaviour, type AgentBehaviourSnapshot } from "./agent-behaviour.js";
import { assessDrift } from "./assess-drift.js";
import { type BehaviourLimits, type BehaviourLimitsInput, parseBehaviourLimits } from "./behaviour-limits.js";
import type { BehaviourJournal, BehaviourStore, DriftAssessment, DriftInput } from "./behaviour-store.js";
import { destinationKey } from "./destination-key.js";
import { ownedString } from "./owned-string.js";
import { type DriftThresholds, type DriftThresholdsInput, parseDriftThresholds } from "./drift-thresholds.js";

const NO_VALUES: ReadonlySet<string> = new Set();

/**
 * Behaviour state in this process's memory. The validator writes each agent's snapshot to the
 * validator-state changelog with every committed batch and restores it after a restart or rebalance
 * (services/validator/src/validator-state/).
 * Not shared between threads; one instance per validator.
 */
export class InMemoryBehaviourStore implements BehaviourStore {
  private currentThresholds: DriftThresholds;
  readonly limits: BehaviourLimits;
  /** In order of last activity, least recent first, so the first entry is the one to drop. */
  private readonly agents = new Map<string, AgentBehaviour>();
  /** While a batch is open: each agent it changed, as it was before (null: it did not exist). */
  private batch: Map<string, AgentBehaviourSnapshot | null> | null = null;

  /** Throws a ZodError listing every invalid threshold or limit. */
  constructor(thresholds: DriftThresholdsInput = {}, limits: BehaviourLimitsInput = {}) {
    this.currentThresholds = parseDriftThresholds(thresholds);
    this.limits = parseBehaviourLimits(limits);
  }

  get thresholds(): DriftThresholds {
    return this.currentThresholds;
  }

  /** A new policy version brings new thresholds; what the agents' history holds stays. */
  useThresholds(thresholds: DriftThresholds): void {
    this.currentThresholds = thresholds;
  }

  get agentCount(): number {
    return this.agents.size;
  }

  observeProposal(agentId: string, now: number): number {
    return this.activeAgent(agentId).rate.observe(now);
  }

  assessDrift(input: DriftInput, ratePerMinute: number): DriftAssessment {
    const agent = this.agents.get(input.action.agent_id);
    return assessDrift(agent, input, destinationKey(input.action.destination), ratePerMinute, this.thresholds);
  }

  recordApproved(input: DriftInput): void {
    const agent = this.activeAgent(input.action.agent_id);
    agent.approvedCount++;
    agent.rememberTool(input.action.tool, this.limits);
    const destination = destinationKey(input.action.destination);
    if (destination !== null) agent.rememberDestination(destination, this.limits);
    for (const value of input.intentValues) agent.rememberValue(value, this.limits);
    agent.centroid.record(input.actionVector);
  }

  recordSeen(input: DriftInput): void {
    const agent = this.activeAgent(input.action.agent_id);
    agent.rememberTool(input.action.tool, this.limits);
    const destination = destinationKey(input.action.destination);
    if (destination !== null) agent.rememberDestination(destination, this.limits);
  }

  recentValues(agentId: string): ReadonlySet<string> {
    return this.agents.get(agentId)?.values ?? NO_VALUES;
  }

  snapshot(agentId: string): AgentBehaviourSnapshot | undefined {
    return this.agents.get(agentId)?.snapshot(agentId);
  }

  beginBatch(): BehaviourJournal {
    this.batch = new Map();
    return this.batch;
  }

  endBatch(): void {
    this.batch = null;
  }

  abortBatch(journal: BehaviourJournal): void {
    for (const [agentId, before] of journal) {
      if (before === null) this.agents.delete(agentId);
      else this.restore(before);
    }
  }

  /** Replaces what the store holds for the snapshot's agent, as a changelog restore would. */
  restore(snapshot: AgentBehaviourSnapshot): void {
    this.agents.delete(snapshot.agentId);
    this.admit(ownedString(snapshot.agentId), AgentBehaviour.restore(snapshot, this.thresholds, this.limits));
  }

  forget(agentId: string): void {
    this.agents.delete(agentId);
  }

  /** The agent's state, created if new, moved to the most recently active end. */
  private activeAgent(agentId: string): AgentBehaviour {
    const agent = this.agents.get(agentId);
    // NOTE: the first change a batch makes to an agent keeps a copy of it, so an abort can put it back.
    if (this.batch !== null && !this.batch.has(agentId)) this.batch.set(agentId, agent?.snapshot(agentId) ?? null);
    if (agent === undefined) return this.admit(ownedString(agentId), AgentBehaviour.create(this.thresholds));
    this.agents.delete(agentId);
    this.agents.set(agentId, agent);
    return agent;
  }

  private admit(agentId: string, agent: AgentBehaviour): AgentBehaviour {
    this.agents.set(agentId, agent);
    if (this.agents.size > this.limits.maxAgents) {
      const oldest = this.agents.keys().next();
      if (!oldest.done) this.agents.delete(oldest.value);
    }
    return agent;
  }
}

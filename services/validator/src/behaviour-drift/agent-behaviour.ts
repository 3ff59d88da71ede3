import { ApprovedCentroid, type ApprovedCentroidSnapshot } from "./approved-centroid.js";
import type { BehaviourLimits } from "./behaviour-limits.js";
import type { DriftThresholds } from "./drift-thresholds.js";
import { ProposalRate, type ProposalRateSnapshot } from "./proposal-rate.js";
import { rememberRecent } from "./remember-recent.js";

/**
 * Everything the store holds for one agent, as plain JSON-able data: what a changelog topic would
 * carry to restore the agent after a restart or rebalance. Sets list least recent first.
 */
export interface AgentBehaviourSnapshot {
  agentId: string;
  approvedCount: number;
  tools: string[];
  destinations: string[];
  recentValues: string[];
  centroid: ApprovedCentroidSnapshot;
  rate: ProposalRateSnapshot;
  /** Estimated bytes this agent costs (see `AgentBehaviour.approximateBytes`); ignored on restore. */
  approximateBytes: number;
}

/*
 * Memory cost on Node 20 (V8, 64-bit, no pointer compression), measured as heap plus ArrayBuffer
 * growth over 2 000 agents: an agent with no history (its objects, three empty sets, the 60-slot
 * rate ring); a Set's table per live entry once evictions have churned it (V8 doubles the table
 * rather than compacting it in place; a set that never evicted costs about half); the centroid's
 * typed array besides its floats; a flat string's header.
 */
const AGENT_BYTES = 1_180;
const SET_ENTRY_BYTES = 38;
const CENTROID_BYTES = 190;
const STRING_HEADER_BYTES = 16;

function stringBytes(value: string): number {
  let wide = false;
  for (let i = 0; i < value.length && !wide; i++) wide = value.charCodeAt(i) > 0xff;
  return Math.ceil((STRING_HEADER_BYTES + value.length * (wide ? 2 : 1)) / 8) * 8;
}

function setBytes(set: ReadonlySet<string>): number {
  let bytes = 0;
  for (const value of set) bytes += SET_ENTRY_BYTES + stringBytes(value);
  return bytes;
}

/** One agent's behaviour: what it has been approved to do and how fast it proposes. */
export class AgentBehaviour {
  approvedCount = 0;
  readonly tools = new Set<string>();
  readonly destinations = new Set<string>();
  readonly values = new Set<string>();

  private constructor(
    readonly rate: ProposalRate,
    readonly centroid: ApprovedCentroid,
  ) {}

  static create(thresholds: DriftThresholds): AgentBehaviour {
    return new AgentBehaviour(new ProposalRate(thresholds), new ApprovedCentroid(thresholds.centroidSmoothing));
  }

  static restore(
    snapshot: AgentBehaviourSnapshot,
    thresholds: DriftThresholds,
    limits: BehaviourLimits,
  ): AgentBehaviour {
    const agent = new AgentBehaviour(
      ProposalRate.restore(snapshot.rate, thresholds),
      ApprovedCentroid.restore(snapshot.centroid, thresholds.centroidSmoothing),
    );
    agent.approvedCount = snapshot.approvedCount;
    // Re-added in order, so a snapshot taken under larger limits keeps its most recent entries.
    for (const tool of snapshot.tools) agent.rememberTool(tool, limits);
    for (const host of snapshot.destinations) agent.rememberDestination(host, limits);
    for (const value of snapshot.recentValues) agent.rememberValue(value, limits);
    return agent;
  }

  rememberTool(tool: string, limits: BehaviourLimits): void {
    if (tool.length > 0 && tool.length <= limits.maxEntryChars) rememberRecent(this.tools, tool, limits.maxTools);
  }

  rememberDestination(host: string, limits: BehaviourLimits): void {
    if (host.length > 0 && host.length <= limits.maxEntryChars) {
      rememberRecent(this.destinations, host, limits.maxDestinations);
    }
  }

  rememberValue(value: string, limits: BehaviourLimits): void {
    if (value.length > 0 && value.length <= limits.maxEntryChars) rememberRecent(this.values, value, limits.maxValues);
  }

  /** Estimated bytes, including the agent id's entry in the store; for memory reports, not accounting. */
  approximateBytes(agentId: string): number {
    const centroidDims = this.centroid.dims;
    return (
      AGENT_BYTES +
      stringBytes(agentId) +
      setBytes(this.tools) +
      setBytes(this.destinations) +
      setBytes(this.values) +
      (centroidDims > 0 ? CENTROID_BYTES + centroidDims * Float32Array.BYTES_PER_ELEMENT : 0)
    );
  }

  snapshot(agentId: string): AgentBehaviourSnapshot {
    return {
      agentId,
      approvedCount: this.approvedCount,
      tools: [...this.tools],
      destinations: [...this.destinations],
      recentValues: [...this.values],
      centroid: this.centroid.snapshot(),
      rate: this.rate.snapshot(),
      approximateBytes: this.approximateBytes(agentId),
    };
  }
}

/**
 * The drift axis: how far a proposed action departs from its agent's own recent approved
 * behaviour — new tools, new destinations, new recipients, volume spikes, and distance from where
 * its approved actions point in the embedding space. State is per agent and bounded.
 */
export { type AgentBehaviourSnapshot } from "./agent-behaviour.js";
export { type ApprovedCentroidSnapshot } from "./approved-centroid.js";
export { DRIFT_REASON_CODES } from "./assess-drift.js";
export {
  type BehaviourLimits,
  type BehaviourLimitsInput,
  behaviourLimitsSchema,
  parseBehaviourLimits,
} from "./behaviour-limits.js";
export type { BehaviourStore, DriftAssessment, DriftInput } from "./behaviour-store.js";
export {
  type DriftThresholds,
  type DriftThresholdsInput,
  driftThresholdsSchema,
  parseDriftThresholds,
} from "./drift-thresholds.js";
export { InMemoryBehaviourStore } from "./in-memory-behaviour-store.js";
export { type ProposalRateSnapshot } from "./proposal-rate.js";

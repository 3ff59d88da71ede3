/**
 * Provenance: where each consequential value of an action came from in its session — the task, the
 * registration, or what the agent saw (which tool; whether that output carried injected instructions
 * or came from a source others can write to).
 */
export {
  type ProvenanceAssessment,
  type ProvenanceContext,
  assessProvenance,
  provenanceContext,
  registrationWords,
} from "./assess-provenance.js";
export { type ObservedValues, observedValues } from "./observed-values.js";
export {
  DEFAULT_PROVENANCE_LIMITS,
  type ProvenanceLimits,
  type ObservedSource,
  type SessionChange,
  type SessionHeader,
  type SessionSnapshot,
  type SessionState,
  SessionProvenance,
} from "./session-provenance.js";
export { readsUntrustedSource } from "./untrusted-source.js";

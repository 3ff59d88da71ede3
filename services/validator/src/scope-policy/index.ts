export { PolicyStore } from "./policy-store.js";
export { POLICY_EVALUATIONS, type PolicyEvaluation } from "./policy-evaluation.js";
export { readDefaultPolicySet, readScopeSchema } from "./cedar-files.js";
export { compileGlob, matchGlob, matchAnyGlob, type GlobPattern } from "./glob-pattern.js";
export type { PolicyOutcome, PolicySetInput, PolicySetResult } from "./policy-set.js";
export type { ScopeAssessment } from "./scope-assessment.js";
export type { ScopeRequest } from "./scope-request.js";

/**
 * Who evaluates the scope policies. `javascript-first`: the policy evaluator (policy-evaluator.ts)
 * answers what it is certain of and cedar-wasm the rest; `cedar-wasm`: cedar-wasm answers every request.
 */
export const POLICY_EVALUATIONS = ["javascript-first", "cedar-wasm"] as const;
export type PolicyEvaluation = (typeof POLICY_EVALUATIONS)[number];

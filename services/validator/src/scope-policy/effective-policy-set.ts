import type { ArgumentType } from "./argument-vocabulary.js";
import { preparsePolicySet, type ActionConstraint, type PolicyJson } from "./cedar-wasm.js";
import type { AcceptedPolicy, AcceptedPolicySet } from "./policy-set.js";
import type { PolicyEvaluation } from "./policy-evaluation.js";
import { compilePolicyEvaluator, type PolicyEvaluator } from "./policy-evaluator.js";
import { collectReferences, emptyReferences } from "./policy-references.js";
import { AGENT_ATTRIBUTES, type AgentEntityPlan } from "./registration-scope.js";
import { CONTEXT_FIELDS, type ContextPlan } from "./scope-context.js";
import { ScopePolicyError } from "./scope-policy-error.js";

/** The one action the validator asks Cedar about: a tool call is `invoke`, whatever the tool. */
export const INVOKE = { type: "Action", id: "invoke" } as const;

/** The policy sets one agent meets, compiled into Cedar once per combination of set versions. */
export interface EffectivePolicySet {
  /** Id of the preparsed policy set inside the Cedar module. */
  cedarId: string;
  version: string;
  /** Every policy, enforced and shadow, in reason order. */
  policies: readonly AcceptedPolicy[];
  contextPlan: ContextPlan;
  agentEntity: AgentEntityPlan;
  /** Evaluates the same permits in JavaScript when it can (policy-evaluator.ts); undefined: Cedar only. */
  evaluator: PolicyEvaluator | undefined;
}

/**
 * NOTE: every policy is handed to Cedar as a `permit`. Cedar reports as determining only the
 * policies of the winning effect (on deny, just the forbids), so with the real effects one call
 * could not tell whether a shadow forbid hides an enforced permit, and shadows would cost a second
 * call. With every policy a permit, Cedar's answer lists every satisfied policy, and
 * assessAnswer applies Cedar's own combining rule — any forbid wins, otherwise any permit allows,
 * otherwise deny — to the enforced and shadow policies separately. Conditions are evaluated exactly
 * as written, by Cedar or by the policy evaluator, which is given the same permits. Two things that cannot change an answer stay out of Cedar's copy, as
 * each costs time inside Cedar on every call: annotations (our side reads them from the accepted
 * policy), and an `action == Action::"invoke"` scope, which every request Cedar is asked (always
 * about INVOKE) satisfies.
 */
export function compileEffectivePolicySet(
  cedarId: string,
  version: string,
  sets: readonly AcceptedPolicySet[],
  vocabulary: ReadonlyMap<string, ArgumentType>,
  evaluation: PolicyEvaluation,
): EffectivePolicySet {
  const policies = sets.flatMap((set) => set.policies);
  const asPermits: Record<string, PolicyJson> = {};
  const references = emptyReferences();
  for (const policy of policies) {
    const { principal, action, resource, conditions } = policy.json;
    asPermits[policy.qualifiedId] = { effect: "permit", principal, action: forInvoke(action), resource, conditions };
    collectReferences(policy.json, references);
  }
  const parsed = preparsePolicySet(cedarId, { staticPolicies: asPermits });
  if (parsed.type === "failure") {
    throw new ScopePolicyError(`Cedar refused accepted policies: ${parsed.errors.map((e) => e.message).join("; ")}`);
  }

  const { names, wholeContext, wholeArguments, ancestry } = references;
  const contextPlan: ContextPlan = {
    fields: CONTEXT_FIELDS.filter((field) => wholeContext || names.has(field)),
    arguments: [...vocabulary]
      .filter(([name]) => wholeContext || wholeArguments || names.has(name))
      .map(([name, type]) => ({ name, type })),
  };
  return {
    cedarId,
    version,
    policies,
    contextPlan,
    agentEntity: { attributes: AGENT_ATTRIBUTES.filter((name) => names.has(name)), parents: ancestry },
    evaluator: evaluation === "javascript-first" ? compilePolicyEvaluator(asPermits) : undefined,
  };
}

/** `action == Action::"invoke"` becomes the unconstrained scope; any other action scope stays as written. */
function forInvoke(constraint: ActionConstraint): ActionConstraint {
  if (constraint.op !== "==" || !("entity" in constraint)) return constraint;
  const uid = "__entity" in constraint.entity ? constraint.entity.__entity : constraint.entity;
  return uid.type === INVOKE.type && uid.id === INVOKE.id ? { op: "All" } : constraint;
}

import type { Reason } from "@mandate/contracts";
import type { AuthorizationAnswer } from "./cedar-wasm.js";
import type { EffectivePolicySet } from "./effective-policy-set.js";
import type { AcceptedPolicy, PolicyOutcome } from "./policy-set.js";
import type { ScopeAssessment } from "./scope-assessment.js";

const SCORES: Record<PolicyOutcome, number> = { allow: 0, review: 0.5, forbid: 1 };
const SEVERITIES = { allow: "info", review: "suspicious", forbid: "critical" } as const;

/**
 * Turns Cedar's list of satisfied policies (every policy was compiled as a permit, see
 * compileEffectivePolicySet) into the scope outcome, combining as Cedar does: a satisfied forbid
 * wins over any permit, and nothing permitted is denied. Shadow policies are combined apart and
 * only reported.
 */
export function assessAnswer(answer: AuthorizationAnswer, effective: EffectivePolicySet): ScopeAssessment {
  if (answer.type === "failure") {
    return evaluationFailed(effective.version, answer.errors.map((error) => error.message).join("; "));
  }
  const { reason: satisfiedIds, errors } = answer.response.diagnostics;
  const satisfied = new Set(satisfiedIds);
  const failures = new Map(errors.map((failure) => [failure.policyId, failure.error.message]));

  const denials: Reason[] = [];
  const permits: Reason[] = [];
  let forbidden = false;
  const shadow: ScopeAssessment["shadow"] = [];
  for (const policy of effective.policies) {
    const vote = voteOf(policy, satisfied, failures);
    if (vote === undefined) continue;
    if (policy.shadow) {
      shadow.push({ policyId: policy.qualifiedId, outcome: vote });
    } else if (vote === "allow") {
      permits.push(reasonFor(policy, vote));
    } else {
      forbidden ||= vote === "forbid";
      const failure = failures.get(policy.qualifiedId);
      denials.push(failure === undefined ? reasonFor(policy, vote) : policyError(policy, failure));
    }
  }

  if (denials.length > 0) {
    const outcome = forbidden ? "forbid" : "review";
    return { outcome, score: SCORES[outcome], reasons: denials, policyVersion: effective.version, shadow };
  }
  if (permits.length > 0) {
    return { outcome: "allow", score: 0, reasons: permits, policyVersion: effective.version, shadow };
  }
  return {
    outcome: "forbid",
    score: 1,
    reasons: [
      {
        axis: "scope",
        code: "scope.not_permitted",
        message: "No scope policy permits this action.",
        severity: "critical",
      },
    ],
    policyVersion: effective.version,
    shadow,
  };
}

/**
 * What a policy contributes to this decision, if anything. A forbid that Cedar could not evaluate
 * (an overflow, an `ip()` of something that is not an address) would be skipped by Cedar; that
 * silently lets through what its author meant to stop, so it holds the action for review instead.
 */
function voteOf(
  policy: AcceptedPolicy,
  satisfied: ReadonlySet<string>,
  failures: ReadonlyMap<string, string>,
): PolicyOutcome | undefined {
  if (satisfied.has(policy.qualifiedId)) return policy.vote;
  if (policy.effect === "forbid" && failures.has(policy.qualifiedId)) return "review";
  return undefined;
}

function reasonFor(policy: AcceptedPolicy, vote: PolicyOutcome): Reason {
  return { axis: "scope", code: policy.reasonCode, message: policy.message, severity: SEVERITIES[vote] };
}

function policyError(policy: AcceptedPolicy, failure: string): Reason {
  return {
    axis: "scope",
    code: "scope.policy_error",
    message: `Policy ${policy.qualifiedId} could not be evaluated for this action (${failure}); held for review.`,
    severity: "suspicious",
  };
}

/** Fail closed: an action the policies could not be asked about is not allowed. */
export function evaluationFailed(policyVersion: string, detail: string): ScopeAssessment {
  return {
    outcome: "forbid",
    score: 1,
    reasons: [
      {
        axis: "scope",
        code: "scope.evaluation_failed",
        message: `Scope policies could not be evaluated: ${detail.slice(0, 300)}`,
        severity: "critical",
      },
    ],
    policyVersion,
    shadow: [],
  };
}

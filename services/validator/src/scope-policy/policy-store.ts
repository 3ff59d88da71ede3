import type { AgentRegistration } from "@mandate/contracts";
import { acceptPolicySet } from "./accept-policy-set.js";
import { readArgumentVocabulary, type ArgumentType } from "./argument-vocabulary.js";
import { assessAnswer, evaluationFailed } from "./assess-answer.js";
import { statefulIsAuthorized, type AuthorizationAnswer } from "./cedar-wasm.js";
import { toCedarString } from "./cedar-string.js";
import { compileEffectivePolicySet, INVOKE, type EffectivePolicySet } from "./effective-policy-set.js";
import type { PolicyEvaluation } from "./policy-evaluation.js";
import type { AcceptedPolicySet, PolicySetInput, PolicySetResult } from "./policy-set.js";
import { RegistrationScope } from "./registration-scope.js";
import type { ScopeAssessment } from "./scope-assessment.js";
import { buildScopeContext } from "./scope-context.js";
import type { ScopeRequest } from "./scope-request.js";

// Preparsed policy sets live in the Cedar module's memory, shared by every store in the process.
let storesCreated = 0;

/**
 * The scope policies in force: accepted sets by id, each agent's effective set compiled into Cedar
 * once per combination of versions, and each registration version's scope prepared once.
 * An agent meets every set without a team, then its owner team's sets, each group in id order.
 */
export class PolicyStore {
  private readonly sets = new Map<string, AcceptedPolicySet>();
  private readonly effectiveByOwner = new Map<string, EffectivePolicySet>();
  private readonly effectiveBySets = new Map<string, EffectivePolicySet>();
  private readonly scopes = new Map<string, RegistrationScope>();
  private readonly vocabulary: ReadonlyMap<string, ArgumentType>;
  private readonly cedarPrefix: string;

  constructor(
    private readonly schema: string,
    private readonly evaluation: PolicyEvaluation,
  ) {
    this.vocabulary = readArgumentVocabulary(schema);
    storesCreated += 1;
    this.cedarPrefix = `scope-store-${storesCreated}`;
  }

  /**
   * Accepts a set only if all of it parses and validates against the schema; otherwise returns
   * Cedar's messages and the version in force stays. Redelivering the version in force is a no-op;
   * an older version is refused, so a replayed topic never rolls a set back.
   */
  apply(input: PolicySetInput): PolicySetResult {
    const current = this.sets.get(input.id);
    if (current && input.version < current.version) {
      return {
        ok: false,
        errors: [`set ${input.id}@${input.version} is older than ${input.id}@${current.version} in force`],
      };
    }
    if (current && input.version === current.version) {
      const same =
        current.text === input.policies &&
        current.team === (input.team ?? null) &&
        current.mode === (input.mode ?? "enforce");
      return same
        ? { ok: true }
        : { ok: false, errors: [`set ${input.id}@${input.version} is already in force with different content`] };
    }
    const accepted = acceptPolicySet(input, this.schema);
    if (!accepted.ok) return accepted;
    this.sets.set(input.id, accepted.set);
    this.effectiveByOwner.clear();
    this.effectiveBySets.clear();
    return { ok: true };
  }

  /** The enforced sets an agent meets, e.g. `default@3+team-finance@2`; shadow-mode sets decide nothing and are left out. */
  versionFor(agent: AgentRegistration): string {
    return describeVersion(this.setsFor(agent.owner));
  }

  evaluate(registration: AgentRegistration, request: ScopeRequest): ScopeAssessment {
    let effective: EffectivePolicySet | undefined;
    try {
      effective = this.effectiveFor(registration.owner);
      const scope = this.scopeFor(registration);
      const call = {
        principal: scope.principal,
        action: INVOKE,
        resource: { type: "Tool", id: toCedarString(request.action.tool) },
        context: buildScopeContext(scope, request, effective.contextPlan),
        entities: scope.entitiesFor(effective.agentEntity),
      };
      // Evaluated here when the evaluator is certain of Cedar's answer; otherwise by Cedar itself.
      const satisfied = effective.evaluator?.satisfied(call);
      const answer: AuthorizationAnswer =
        satisfied === undefined
          ? statefulIsAuthorized({ ...call, preparsedPolicySetId: effective.cedarId })
          : satisfiedAnswer(satisfied);
      return assessAnswer(answer, effective);
    } catch (error) {
      const version = effective?.version ?? this.versionFor(registration);
      return evaluationFailed(version, error instanceof Error ? error.message : String(error));
    }
  }

  private setsFor(owner: string): AcceptedPolicySet[] {
    const shared: AcceptedPolicySet[] = [];
    const team: AcceptedPolicySet[] = [];
    for (const set of this.sets.values()) {
      if (set.team === null) shared.push(set);
      else if (set.team === owner) team.push(set);
    }
    const byId = (a: AcceptedPolicySet, b: AcceptedPolicySet): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    return [...shared.sort(byId), ...team.sort(byId)];
  }

  private effectiveFor(owner: string): EffectivePolicySet {
    const known = this.effectiveByOwner.get(owner);
    if (known) return known;
    const sets = this.setsFor(owner);
    const key = sets.map((set) => set.id).join("+");
    let effective = this.effectiveBySets.get(key);
    if (!effective) {
      // NOTE: the Cedar id names the sets, not their versions, so a new version overwrites the
      // old compiled copy instead of leaking it: the module offers no way to drop one.
      const cedarId = `${this.cedarPrefix}/${key}`;
      effective = compileEffectivePolicySet(cedarId, describeVersion(sets), sets, this.vocabulary, this.evaluation);
      this.effectiveBySets.set(key, effective);
    }
    this.effectiveByOwner.set(owner, effective);
    return effective;
  }

  /** Whether a registered pattern that names a host (not a catch-all) covers the destination. */
  destinationNamedInScope(registration: AgentRegistration, destination: string | null): boolean {
    return this.scopeFor(registration).destinationNamedInScope(destination);
  }

  private scopeFor(registration: AgentRegistration): RegistrationScope {
    const known = this.scopes.get(registration.agent_id);
    if (known?.version === registration.version) return known;
    const scope = new RegistrationScope(registration);
    this.scopes.set(registration.agent_id, scope);
    return scope;
  }
}

/** Cedar's answer for these satisfied policies, all of which it holds as permits (compileEffectivePolicySet). */
function satisfiedAnswer(satisfied: string[]): AuthorizationAnswer {
  return {
    type: "success",
    response: { decision: satisfied.length > 0 ? "allow" : "deny", diagnostics: { reason: satisfied, errors: [] } },
    warnings: [],
  };
}

function describeVersion(sets: readonly AcceptedPolicySet[]): string {
  const enforced = sets.filter((set) => set.mode === "enforce");
  return enforced.length === 0 ? "none" : enforced.map((set) => `${set.id}@${set.version}`).join("+");
}

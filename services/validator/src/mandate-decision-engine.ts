import type { ProposedAction, AgentObservation, Reason, PolicySetRecord, AgentRegistration } from "@mandate/contracts";
import { InMemoryBehaviourStore, type BehaviourStore } from "./behaviour-drift/index.js";
import type {
  ActionDecision,
  DecisionEngine,
  EngineBatch,
  ObservationReceipt,
  PolicySetResult,
  SessionStats,
} from "./decision-engine.js";
import {
  DEFAULT_DECISION_THRESHOLDS,
  parseDecisionThresholds,
  type DecisionThresholds,
} from "./decision-thresholds.js";
import { readAndAssessPayload, toReasons, type PayloadFinding } from "./payload-safety/index.js";
import {
  assessAlignment,
  buildPurposeModel,
  loadWordVectors,
  type PurposeModel,
  type WordVectors,
} from "./purpose-alignment/index.js";
import {
  DEFAULT_PROVENANCE_LIMITS,
  type ProvenanceLimits,
  SessionProvenance,
  assessProvenance,
  observedValues,
  provenanceContext,
  readsUntrustedSource,
  registrationWords,
} from "./provenance/index.js";
import { explainSessionSecrets } from "./provenance/session-secrets.js";
import { PolicyStore, readDefaultPolicySet, readScopeSchema, type PolicyEvaluation } from "./scope-policy/index.js";
import { decideVerdict } from "./verdict.js";
import type { AgentRecord, AgentState } from "./validator-state/agent-state.js";
import type { ObservedSource, SessionChange, SessionHeader, SessionSnapshot } from "./provenance/index.js";
import {
  DEFAULT_IDENTITY_OPTIONS,
  IdentityCheck,
  type IdentityOptions,
  type ReplayEntry,
} from "./workload-identity/index.js";

/** A decision with the per-axis detail `mandate explain` prints; the validator publishes the `ActionDecision` part. */
export interface ExplainedDecision extends ActionDecision {
  shadow: { policyId: string; outcome: string }[];
}

/** Which data classes a payload finding shows the arguments carry, for policies that restrict them. */
const DATA_CLASS_OF_FINDING: ReadonlyArray<[prefix: string, dataClass: string]> = [
  ["payload.secret.", "credentials"],
  ["payload.pii.card_number", "financial"],
  ["payload.pii.", "pii"],
  ["payload.exfiltration.bulk_pii", "pii"],
];

const FIRST_SEEN_OF_DRIFT: Readonly<Record<string, string>> = {
  "drift.new_tool": "tool",
  "drift.new_destination": "destination",
};

/** What an engine is built with; every part has a production default. */
export interface DecisionEngineOptions {
  behaviour: BehaviourStore;
  vectors: WordVectors;
  identity: Partial<IdentityOptions>;
  /** Who evaluates the scope policies: see PolicyEvaluation. */
  policyEvaluation: PolicyEvaluation;
  /** Bounds of the per-session provenance state. */
  provenance: ProvenanceLimits;
}

/**
 * The six axes and the verdict, in process, with no network calls: identity first (the agent is
 * registered and active, the envelope signed by one of its keys, fresh and not replayed; a failure
 * rejects before anything else looks at the action or counts it), then payload safety, purpose
 * alignment, provenance (where the call's values came from in its session, from what the agent was
 * seen to read: `observeSession`) and drift, then scope — last, because Cedar policies may read the
 * other axes' scores. Deterministic for a given action, registration, policy version, the agent's
 * recorded history and what its session has observed before it on the partition.
 */
export class MandateDecisionEngine implements DecisionEngine {
  private readonly policies: PolicyStore;
  private readonly purposeModels = new Map<
    string,
    {
      version: number;
      thresholds: DecisionThresholds;
      model: PurposeModel;
      registrationWords: ReadonlySet<string>;
    }
  >();
  readonly provenance: SessionProvenance;
  private thresholds: DecisionThresholds = DEFAULT_DECISION_THRESHOLDS;
  private thresholdsVersion = "builtin";
  private readonly identity: IdentityCheck;
  private readonly behaviour: BehaviourStore;
  private readonly vectors: WordVectors;
  /**
   * Batches whose transactions have not ended. A reviewed approval for an agent one of them changed
   * waits in it until it ends. NOTE: applied meanwhile, an abort would roll the agent back to before
   * the batch and lose the approval.
   */
  private readonly openBatches = new Set<EngineBatch>();

  constructor(options: Partial<DecisionEngineOptions> = {}) {
    this.behaviour = options.behaviour ?? new InMemoryBehaviourStore(DEFAULT_DECISION_THRESHOLDS.drift);
    this.vectors = options.vectors ?? loadWordVectors();
    this.identity = new IdentityCheck({ ...DEFAULT_IDENTITY_OPTIONS, ...options.identity });
    this.provenance = new SessionProvenance(options.provenance ?? DEFAULT_PROVENANCE_LIMITS);
    this.policies = new PolicyStore(readScopeSchema(), options.policyEvaluation ?? "javascript-first");
    const accepted = this.policies.apply(readDefaultPolicySet());
    if (!accepted.ok) throw new Error(`the shipped default policy set is invalid: ${accepted.errors.join("; ")}`);
  }

  /**
   * Applies a policy set from the policies topic. The set and, for `default`, its thresholds are
   * validated together: either all of it takes effect or none of it, and the version in force stays.
   */
  applyPolicySet(record: PolicySetRecord): PolicySetResult {
    const isDefault = record.set_id === "default" && record.mode === "enforce";
    const thresholds = isDefault ? parseDecisionThresholds(record.thresholds_json) : undefined;
    if (thresholds && !thresholds.ok) return thresholds;
    const applied = this.policies.apply({
      id: record.set_id,
      version: record.version,
      mode: record.mode,
      team: record.team,
      policies: record.policies,
    });
    if (applied.ok && thresholds?.ok) {
      this.thresholds = thresholds.thresholds;
      this.thresholdsVersion = `default@${record.version}`;
      this.behaviour.useThresholds(this.thresholds.drift);
    }
    return applied;
  }

  decideAction(action: ProposedAction, registration: AgentRegistration | undefined, now: number): ActionDecision {
    return this.explainAction(action, registration, now);
  }

  beginBatch(): EngineBatch {
    const batch: EngineBatch = {
      replay: this.identity.beginBatch(),
      behaviour: this.behaviour.beginBatch(),
      sessions: this.provenance.beginBatch(),
      reviewed: [],
    };
    this.openBatches.add(batch);
    return batch;
  }

  endBatch(): void {
    this.identity.endBatch();
    this.behaviour.endBatch();
    this.provenance.endBatch();
  }

  commitBatch(batch: EngineBatch): void {
    this.settle(batch);
  }

  abortBatch(batch: EngineBatch): void {
    this.identity.abortBatch(batch.replay);
    this.behaviour.abortBatch(batch.behaviour);
    this.provenance.abortBatch(batch.sessions);
    this.settle(batch);
  }

  /** The batch's transaction ended: the reviewed approvals it held back apply now. */
  private settle(batch: EngineBatch): void {
    this.openBatches.delete(batch);
    for (const { action, now } of batch.reviewed) this.recordReviewedApproval(action, now);
  }

  /** Everything the engine remembers about the agent, its sessions included. */
  agentState(agentId: string, now: number): AgentState {
    return {
      ...this.agentRecord(agentId),
      replay: this.identity.replayWindow(agentId, now),
      sessions: this.provenance.snapshotAgent(agentId),
    };
  }

  agentRecord(agentId: string): AgentRecord {
    return { behaviour: this.behaviour.snapshot(agentId) };
  }

  /** Replaces the agent's baseline and rate (undefined: nothing is known of them). */
  restoreAgentRecord(agentId: string, record: AgentRecord | undefined): void {
    if (record?.behaviour) this.behaviour.restore({ ...record.behaviour, agentId });
    else this.behaviour.forget(agentId);
  }

  get replayAdmissions(): readonly ReplayEntry[] {
    return this.identity.replayAdmissions;
  }

  takeExpiredReplays(): Array<{ agentId: string; nonce: string }> {
    return this.identity.takeExpiredReplays();
  }

  restoreReplayEntry(entry: ReplayEntry): void {
    this.identity.restoreReplayEntry(entry);
  }

  takeSessionChanges(): SessionChange[] {
    return this.provenance.takeChanges();
  }

  restoreSessionState(agentId: string, sessionId: string, session: SessionHeader | SessionSnapshot | undefined): void {
    this.provenance.restoreSession(agentId, sessionId, session);
  }

  restoreSessionValue(agentId: string, sessionId: string, value: string, source: ObservedSource): void {
    this.provenance.restoreValue(agentId, sessionId, value, source);
  }

  restoreSessionAction(agentId: string, sessionId: string, actionId: string, tool: string): void {
    this.provenance.restoreAction(agentId, sessionId, actionId, tool);
  }

  /** Forgets everything about the agent: its partition is now another validator's. */
  forgetAgent(agentId: string): void {
    this.restoreAgentRecord(agentId, undefined);
    this.identity.forgetReplayWindow(agentId);
    this.provenance.forgetAgent(agentId);
  }

  explainAction(action: ProposedAction, registered: AgentRegistration | undefined, now: number): ExplainedDecision {
    const identity = this.identity.check(action, registered, now);
    if (!identity.ok) return this.rejectedByIdentity(action, identity.reason);
    const { registration } = identity;
    const rate = this.behaviour.observeProposal(action.agent_id, now);
    const { thresholds } = this;

    // Payload checks trust a destination only when the registration names it; see destinationNamedInScope.
    const destinationInScope = this.policies.destinationNamedInScope(registration, action.destination);
    const { assessment: payload, arguments: parsedArguments } = readAndAssessPayload(action.arguments_json, {
      destination: action.destination,
      resource: action.resource,
      intent: action.intent,
      destinationInScope,
      dataClasses: registration.scope.data_classes,
      tool: action.tool,
      operation: action.operation,
    });
    const session = this.provenance.find(action.agent_id, action.session_id);
    const payloadFindings = explainSessionSecrets(payload.findings, action, destinationInScope, session);
    const payloadReasons = toReasons(payloadFindings);

    const purpose = this.purposeModel(registration);
    // Values the agent read in this session from output that carried no injected instructions explain
    // an action as the agent's own recent approved values do.
    const recent = this.behaviour.recentValues(action.agent_id);
    const sessionValues = session && {
      has: (value: string) => (session.values.get(value)?.cleanTool ?? null) !== null,
    };
    const recentValues = sessionValues
      ? { has: (value: string) => recent.has(value) || sessionValues.has(value) }
      : recent;
    const alignment = assessAlignment(
      purpose.model,
      { action, sessionTask: action.session_task, recentValues, sessionValues },
      thresholds.alignment,
    );
    const provenance = assessProvenance(
      action,
      parsedArguments,
      alignment.intentValues,
      provenanceContext(action.session_task, purpose.registrationWords),
      session,
    );
    // NOTE: multi-step work is not a departure. A call whose every value the session traced to the task
    // or to clean output, at least one to the session's own reads, carries on that work, so its tool
    // fitting the task less than another registered tool does only informs.
    if (provenance.continuesSession) {
      alignment.reasons = alignment.reasons.map((r) =>
        r.code === "alignment.tool_unrelated_to_task" && r.severity === "suspicious" ? { ...r, severity: "info" } : r,
      );
    }
    const driftInput = {
      action,
      actionVector: alignment.actionVector,
      intentValues: alignment.intentValues,
      now,
      registeredTool: registration.scope.tools.some((t) => t.name === action.tool),
    };
    const drift = this.behaviour.assessDrift(driftInput, rate);

    const scope = this.policies.evaluate(registration, {
      action,
      ratePerMinute: rate,
      scores: { payload: payload.score, alignment: alignment.score, drift: drift.score },
      dataClassesFound: dataClassesIn(payload.findings),
      firstSeen: drift.reasons.flatMap((r) => FIRST_SEEN_OF_DRIFT[r.code] ?? []),
      arguments: parsedArguments,
    });

    const verdict = decideVerdict(
      {
        identityOk: true,
        scopeOutcome: scope.outcome,
        payloadReasons,
        alignmentReasons: alignment.reasons,
        provenanceReasons: provenance.reasons,
        driftScore: drift.score,
      },
      thresholds.verdict.driftFlagScore,
    );
    if (verdict === "approved") this.behaviour.recordApproved(driftInput);
    // NOTE: a flagged action's tool and destination are remembered as seen, so a flag never
    // perpetuates itself: without this, a tool that is new because it was flagged stays new for ever.
    else if (verdict === "flagged") this.behaviour.recordSeen(driftInput);
    if (verdict !== "rejected") {
      this.provenance.recordAction(action.agent_id, action.session_id, action.action_id, action.tool);
    }

    const shadowReasons: Reason[] = scope.shadow.map((s) => ({
      axis: "scope",
      code: `scope.shadow_${s.outcome}`,
      message: `Shadow policy ${s.policyId} would have voted ${s.outcome}; the verdict does not change.`,
      severity: "info",
    }));
    return {
      verdict,
      scores: {
        identity: 1,
        scope: scope.score,
        payload: payload.score,
        alignment: alignment.score,
        drift: drift.score,
      },
      reasons: [
        ...identity.reasons,
        ...scope.reasons,
        ...shadowReasons,
        ...payloadReasons,
        ...alignment.reasons,
        ...provenance.reasons,
        ...drift.reasons,
      ],
      policyVersion: `${scope.policyVersion};thresholds=${this.thresholdsVersion}`,
      payloadFindings,
      shadow: scope.shadow,
    };
  }

  private purposeModel(registration: AgentRegistration): {
    model: PurposeModel;
    registrationWords: ReadonlySet<string>;
  } {
    const cached = this.purposeModels.get(registration.agent_id);
    if (cached && cached.version === registration.version && cached.thresholds === this.thresholds) return cached;
    const model = buildPurposeModel(registration, { vectors: this.vectors, config: this.thresholds.alignment });
    const entry = {
      version: registration.version,
      thresholds: this.thresholds,
      model,
      registrationWords: registrationWords(registrationText(registration)),
    };
    this.purposeModels.set(registration.agent_id, entry);
    return entry;
  }

  /**
   * Something the agent saw, in partition order: its values join the session's provenance, marked
   * by whether the record they sat in carried instructions aimed at the model and whether the tool
   * reads a source others can write to. An observation that names an unknown or retired agent, or
   * an action this session never had decided, changes nothing.
   */
  observeSession(
    observation: AgentObservation,
    registration: AgentRegistration | undefined,
    now: number,
  ): ObservationReceipt {
    void now;
    if (registration === undefined || registration.retired) {
      return {
        taken: false,
        code: "observation.unknown_agent",
        reason: `agent ${observation.agent_id} is not registered or is retired`,
      };
    }
    const { agent_id: agentId, session_id: sessionId, action_id: actionId } = observation;
    if (actionId !== null && this.provenance.find(agentId, sessionId)?.actions.has(actionId) !== true) {
      return {
        taken: false,
        code: "observation.unknown_action",
        reason: `action ${actionId} was not decided in session ${sessionId} of agent ${agentId} (or its session was evicted)`,
      };
    }
    const seen = observedValues(observation.error ?? observation.output);
    const untrusted = readsUntrustedSource(observation.tool);
    this.provenance.recordObservation(agentId, sessionId, observation.tool, untrusted, seen);
    const injected = seen.injectedPhrases.length > 0;
    const reasons: Reason[] = [];
    if (injected) {
      reasons.push({
        axis: "provenance",
        code: "provenance.observation_injected",
        severity: "suspicious",
        message: `the output of ${observation.tool} carries instructions aimed at the model (${seen.injectedPhrases
          .slice(0, 2)
          .map((p) => JSON.stringify(p))
          .join(", ")}); values only it shows will not be sent, paid, shared or granted`,
      });
    }
    if (seen.partial || observation.truncated) {
      reasons.push({
        axis: "provenance",
        code: "provenance.observation_partial",
        severity: "info",
        message: `only part of the output of ${observation.tool} was read; values past the bound are not known to the session`,
      });
    }
    return { taken: true, values: seen.clean.size + seen.injected.size, injected, untrusted, reasons };
  }

  sessionStats(): SessionStats {
    const { openSessions, evictedSessions, evictedValues } = this.provenance;
    return { openSessions, evictedSessions, evictedValues };
  }

  /** A reviewer's approval enters the baseline like the validator's own, when the agent's model is known. */
  recordReviewedApproval(action: ProposedAction, now: number): void {
    const holding = [...this.openBatches].find((batch) => batch.behaviour.has(action.agent_id));
    if (holding !== undefined) {
      holding.reviewed.push({ action, now });
      return;
    }
    const cached = this.purposeModels.get(action.agent_id);
    if (cached === undefined) return;
    const alignment = assessAlignment(
      cached.model,
      { action, sessionTask: action.session_task, recentValues: this.behaviour.recentValues(action.agent_id) },
      this.thresholds.alignment,
    );
    this.behaviour.recordApproved({
      action,
      actionVector: alignment.actionVector,
      intentValues: alignment.intentValues,
      now,
      registeredTool: true,
    });
    this.provenance.recordAction(action.agent_id, action.session_id, action.action_id, action.tool);
  }

  /**
   * Identity failed: nothing else is scored, and the action does not count towards the agent's rate or
   * history. Its arguments are still scanned, as for an unknown agent, only so that the credentials
   * they carry can be kept out of the trail.
   */
  private rejectedByIdentity(action: ProposedAction, reason: Reason): ExplainedDecision {
    const { assessment } = readAndAssessPayload(action.arguments_json, {
      destination: action.destination,
      resource: action.resource,
      intent: action.intent,
      destinationInScope: false,
      dataClasses: [],
      tool: action.tool,
      operation: action.operation,
    });
    return {
      verdict: "rejected",
      scores: { identity: 0, scope: 1, payload: 0, alignment: 0, drift: 0 },
      reasons: [reason],
      policyVersion: `thresholds=${this.thresholdsVersion}`,
      payloadFindings: assessment.findings.filter((finding) => finding.secret !== undefined),
      shadow: [],
    };
  }
}

/** What a registration says in words: the texts a value named in it may come from. */
function registrationText(registration: AgentRegistration): string {
  return [
    registration.purpose,
    ...registration.examples,
    ...registration.scope.tools.map((t) => `${t.name} ${t.description}`),
    ...registration.scope.destination_patterns,
    ...registration.scope.resource_patterns,
  ].join("\n");
}

function dataClassesIn(findings: readonly PayloadFinding[]): string[] {
  const classes = new Set<string>();
  for (const finding of findings) {
    for (const [prefix, dataClass] of DATA_CLASS_OF_FINDING) {
      if (finding.code.startsWith(prefix)) classes.add(dataClass);
    }
  }
  return [...classes];
}

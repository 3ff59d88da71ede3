import type { DecisionRecord, ExecutionRecord, AgentRegistration } from "@mandate/contracts";

export interface KafkaPosition {
  partition: number;
  offset: string;
}

/**
 * The arguments as the trail keeps them: with every credential the validator found redacted. The sink
 * reads actions only from decision records, never from the proposals topic, so no clear text reaches it;
 * `actions` is a view of `decisions` (migration 0006).
 */
export function trailArguments(decision: DecisionRecord): string {
  return decision.redacted_arguments_json ?? decision.action.arguments_json;
}

/**
 * One wide row of `decisions`: the action, every axis score and the reasons as parallel arrays. The
 * DecisionChainer sets `chain_seq` and `chain_prev` once the row's place in its agent's chain is
 * known, and the insert sets `chain_hash` as it writes the row. The keys are in the order the chain
 * hashes them (CHAIN_HASHED_COLUMNS in trail-chain.ts), then `chain_hash`, then the rest: the insert
 * writes a row's columns in key order and hashes the bytes before `chain_hash`.
 *
 * Timestamps, here and in the other rows, are epoch milliseconds: the insert writes them as the
 * column's type stores them (`DateTime64(3)`, or whole seconds in an 18.16 `DateTime`), with no text
 * to format and parse back.
 */
export function decisionRow(decision: DecisionRecord, at: KafkaPosition, now: number) {
  const { action } = decision;
  return {
    chain_prev: "",
    decision_id: decision.decision_id,
    action_id: action.action_id,
    agent_id: action.agent_id,
    session_id: action.session_id,
    session_task: action.session_task ?? "",
    tool: action.tool,
    operation: action.operation,
    resource: action.resource ?? "",
    destination: action.destination ?? "",
    arguments_json: trailArguments(decision),
    intent: action.intent ?? "",
    proposed_at: action.proposed_at,
    verdict: decision.verdict,
    score_identity: decision.scores.identity,
    score_scope: decision.scores.scope,
    score_payload: decision.scores.payload,
    score_alignment: decision.scores.alignment,
    score_drift: decision.scores.drift,
    reason_axes: decision.reasons.map((r) => r.axis),
    reason_codes: decision.reasons.map((r) => r.code),
    reason_severities: decision.reasons.map((r) => r.severity),
    reason_messages: decision.reasons.map((r) => r.message),
    policy_version: decision.policy_version,
    registration_version: decision.registration_version,
    validator_id: decision.validator_id,
    decided_at: decision.decided_at,
    expires_at: decision.expires_at,
    latency_ms: action.proposed_at > 0 ? Math.max(0, decision.decided_at - action.proposed_at) : 0,
    supersedes: decision.supersedes ?? "",
    reviewer: decision.reviewer ?? "",
    review_comment: decision.review_comment ?? "",
    chain_hash: "",
    chain_seq: 0,
    nonce: action.nonce,
    key_id: action.key_id ?? "",
    kafka_partition: at.partition,
    kafka_offset: at.offset,
    ingested_at: now,
  };
}

/** A dead letter as analysts see it; the bytes themselves stay on the topic. */
export function deadLetterRow(
  headers: Record<string, string | undefined>,
  key: string,
  size: number,
  at: KafkaPosition,
) {
  const failedAt = Number(headers.timestamp);
  return {
    source_topic: headers["source-topic"] ?? "",
    source_partition: Number(headers["source-partition"] ?? 0),
    source_offset: headers["source-offset"] ?? "0",
    step: headers.step ?? "",
    reason: headers.reason ?? "",
    detail: headers.detail ?? "",
    message_key: key,
    size_bytes: size,
    failed_at: Number.isFinite(failedAt) ? failedAt : Date.now(),
    kafka_partition: at.partition,
    kafka_offset: at.offset,
  };
}

/** One version of an agent's registration; public keys are left out, their ids kept. */
export function registrationRow(registration: AgentRegistration, at: KafkaPosition, now: number) {
  const { scope } = registration;
  return {
    agent_id: registration.agent_id,
    version: registration.version,
    owner: registration.owner,
    purpose: registration.purpose,
    examples: registration.examples,
    counter_examples: registration.counter_examples,
    tools: scope.tools.map((tool) => tool.name),
    destination_patterns: scope.destination_patterns,
    data_classes: scope.data_classes,
    scope_json: JSON.stringify(scope),
    key_ids: registration.keys.map((key) => key.key_id),
    retired: registration.retired ? 1 : 0,
    registered_at: registration.registered_at,
    kafka_partition: at.partition,
    kafka_offset: at.offset,
    ingested_at: now,
  };
}

/** What an executor did with one decision. */
export function executionRow(execution: ExecutionRecord, at: KafkaPosition, now: number) {
  return {
    ...execution,
    kafka_partition: at.partition,
    kafka_offset: at.offset,
    ingested_at: now,
  };
}

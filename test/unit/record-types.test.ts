import { describe, expect, it } from "vitest";
import {
  mandateSchemas,
  VERDICTS,
  type AgentKey,
  type AgentObservation,
  type AgentRegistration,
  type AgentScope,
  type AvroSchemaJson,
  type AxisScores,
  type Capability,
  type DecisionRecord,
  type ExecutionRecord,
  type PolicySetRecord,
  type ProposedAction,
  type Reason,
  type ToolScope,
  type ValidatorKeyRecord,
} from "@mandate/contracts";

/**
 * The record types of @mandate/contracts against the `.avsc` files: every record of a schema has
 * exactly the fields of its TypeScript type. Each list below is typed `Record<keyof T, true>`, so the
 * compiler insists it names every field of the type and no other; the test compares it with the schema.
 */
const fieldsOf = <T>(fields: Record<keyof T, true>): string[] => Object.keys(fields).sort();

const TYPE_FIELDS: Record<string, string[]> = {
  ActionProposed: fieldsOf<ProposedAction>({
    action_id: true,
    agent_id: true,
    session_id: true,
    session_task: true,
    tool: true,
    operation: true,
    resource: true,
    destination: true,
    arguments_json: true,
    intent: true,
    proposed_at: true,
    nonce: true,
    key_id: true,
    signature: true,
    executor_group: true,
  }),
  DecisionRecord: fieldsOf<DecisionRecord>({
    decision_id: true,
    action: true,
    verdict: true,
    scores: true,
    reasons: true,
    policy_version: true,
    registration_version: true,
    validator_id: true,
    decided_at: true,
    expires_at: true,
    supersedes: true,
    reviewer: true,
    review_comment: true,
    redacted_arguments_json: true,
    capability: true,
    signature: true,
  }),
  AxisScores: fieldsOf<AxisScores>({ identity: true, scope: true, payload: true, alignment: true, drift: true }),
  Reason: fieldsOf<Reason>({ axis: true, code: true, message: true, severity: true }),
  Capability: fieldsOf<Capability>({
    action_hash: true,
    agent_id: true,
    expires_at: true,
    signature: true,
    audience: true,
  }),
  AgentObservation: fieldsOf<AgentObservation>({
    observation_id: true,
    agent_id: true,
    session_id: true,
    action_id: true,
    tool: true,
    arguments_json: true,
    output: true,
    error: true,
    truncated: true,
    reporter: true,
    observed_at: true,
  }),
  AgentRegistration: fieldsOf<AgentRegistration>({
    agent_id: true,
    owner: true,
    purpose: true,
    examples: true,
    counter_examples: true,
    scope: true,
    keys: true,
    version: true,
    retired: true,
    registered_at: true,
  }),
  AgentScope: fieldsOf<AgentScope>({
    tools: true,
    resource_patterns: true,
    destination_patterns: true,
    data_classes: true,
    rate_limit_per_minute: true,
    max_payload_bytes: true,
  }),
  ToolScope: fieldsOf<ToolScope>({ name: true, description: true, operations: true }),
  AgentKey: fieldsOf<AgentKey>({ key_id: true, public_key: true, not_before: true, not_after: true }),
  ExecutionOutcome: fieldsOf<ExecutionRecord>({
    action_id: true,
    decision_id: true,
    agent_id: true,
    tool: true,
    executor_id: true,
    outcome: true,
    code: true,
    reason: true,
    at: true,
    run_id: true,
  }),
  PolicySet: fieldsOf<PolicySetRecord>({
    set_id: true,
    version: true,
    mode: true,
    team: true,
    policies: true,
    thresholds_json: true,
    published_by: true,
    published_at: true,
  }),
  ValidatorKey: fieldsOf<ValidatorKeyRecord>({
    validator_id: true,
    algorithm: true,
    public_key: true,
    published_at: true,
  }),
};

/** Every named record and enum in the schemas, nested ones included, by short name. */
function namedTypes(schemas: AvroSchemaJson[]): { records: Map<string, string[]>; enums: Map<string, string[]> } {
  const records = new Map<string, string[]>();
  const enums = new Map<string, string[]>();
  const walk = (type: unknown): void => {
    if (Array.isArray(type)) return type.forEach(walk);
    if (typeof type !== "object" || type === null) return;
    const node = type as { type: string; name?: string; fields?: Array<{ name: string; type: unknown }> };
    if (node.type === "record" && node.name && node.fields) {
      records.set(node.name, node.fields.map((field) => field.name).sort());
      node.fields.forEach((field) => walk(field.type));
    } else if (node.type === "enum" && node.name) {
      enums.set(node.name, (type as { symbols: string[] }).symbols);
    } else if (node.type === "array") {
      walk((type as { items: unknown }).items);
    } else if (node.type === "map") {
      walk((type as { values: unknown }).values);
    }
  };
  schemas.forEach(walk);
  return { records, enums };
}

describe("record types against the .avsc files", () => {
  const { records, enums } = namedTypes(Object.values(mandateSchemas()));

  it("has a TypeScript type for every record in the schemas", () => {
    expect([...records.keys()].sort()).toEqual(Object.keys(TYPE_FIELDS).sort());
  });

  it.each(Object.entries(TYPE_FIELDS))("%s has the schema's fields", (name, fields) => {
    expect(fields).toEqual(records.get(name));
  });

  it("has the schema's verdicts", () => {
    expect([...VERDICTS]).toEqual(enums.get("Verdict"));
  });
});

import type { ProposedAction, AgentRegistration, AgentScope } from "@mandate/contracts";
import {
  PolicyStore,
  readDefaultPolicySet,
  readScopeSchema,
  type PolicyEvaluation,
  type ScopeRequest,
} from "@mandate/validator/scope-policy/index";

export const SCHEMA = readScopeSchema();

/** A store holding the shipped default set, as every validator starts. */
export function defaultStore(evaluation: PolicyEvaluation = "javascript-first"): PolicyStore {
  const store = new PolicyStore(SCHEMA, evaluation);
  const applied = store.apply(readDefaultPolicySet());
  if (!applied.ok) throw new Error(applied.errors.join("\n"));
  return store;
}

export function registration(
  scope: Partial<AgentScope> = {},
  extra: Partial<AgentRegistration> = {},
): AgentRegistration {
  return {
    agent_id: "agent-payments",
    owner: "finance",
    purpose: "Pays approved supplier invoices.",
    examples: [],
    counter_examples: [],
    scope: {
      tools: [
        { name: "wire_transfer", description: "Send a wire", operations: ["send"] },
        { name: "read_file", description: "Read a file", operations: [] },
      ],
      resource_patterns: ["accounts/*", "files/*/invoices/*"],
      destination_patterns: ["*.bank.example", "api.payments.example"],
      data_classes: ["financial"],
      rate_limit_per_minute: 60,
      max_payload_bytes: 2048,
      ...scope,
    },
    keys: [],
    version: 1,
    retired: false,
    registered_at: 0,
    ...extra,
  };
}

export function request(action: Partial<ProposedAction> = {}, extra: Partial<ScopeRequest> = {}): ScopeRequest {
  return {
    action: {
      action_id: "act-1",
      agent_id: "agent-payments",
      session_id: "sess-1",
      session_task: "Pay invoice 42",
      tool: "wire_transfer",
      operation: "send",
      resource: "accounts/acme",
      destination: "api.payments.example",
      arguments_json: JSON.stringify({ amount: 1200, payee: "acme", currency: "EUR" }),
      intent: "Pay invoice 42",
      proposed_at: 0,
      nonce: "nonce-1",
      key_id: null,
      signature: null,
      ...action,
    },
    ratePerMinute: 1,
    scores: { payload: 0, alignment: 1, drift: 0 },
    dataClassesFound: [],
    firstSeen: [],
    ...extra,
  };
}

export function codes(assessment: { reasons: { code: string }[] }): string[] {
  return assessment.reasons.map((reason) => reason.code);
}

/** An agent's registration, as it travels on the compacted `agent.registry.v1` topic. */
export interface ToolScope {
  name: string;
  description: string;
  /** Operations this tool may perform; empty means any. */
  operations: string[];
}

export interface AgentScope {
  tools: ToolScope[];
  /** Glob patterns (`*` wildcard) a resource must match; empty means any. */
  resource_patterns: string[];
  /** Glob patterns for destination hosts; empty means no outside destination is in scope. */
  destination_patterns: string[];
  /** Data classes the agent may handle, e.g. `pii`, `financial`, `credentials`. */
  data_classes: string[];
  rate_limit_per_minute: number | null;
  max_payload_bytes: number | null;
}

export interface AgentKey {
  key_id: string;
  /** Ed25519 public key, SPKI PEM. */
  public_key: string;
  not_before: number | null;
  not_after: number | null;
}

export interface AgentRegistration {
  agent_id: string;
  owner: string;
  purpose: string;
  /** Short descriptions of actions that are in purpose. */
  examples: string[];
  /** Short descriptions of actions that are not, though they may look close. */
  counter_examples: string[];
  scope: AgentScope;
  keys: AgentKey[];
  version: number;
  retired: boolean;
  registered_at: number;
}

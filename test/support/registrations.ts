import type { AgentRegistration } from "@mandate/contracts";

/** A small registration for tests that only need an agent with a couple of tools. */
export function testRegistration(agentId: string, tools: string[] = ["lookup_order", "send_email"]): AgentRegistration {
  return {
    agent_id: agentId,
    owner: "test-team",
    purpose: "Answer customer questions about their orders.",
    examples: ["look up an order the customer asks about"],
    counter_examples: ["export every customer"],
    scope: {
      tools: tools.map((name) => ({ name, description: `the ${name.replace(/_/g, " ")} tool`, operations: [] })),
      resource_patterns: [],
      destination_patterns: ["mail.example.com"],
      data_classes: [],
      rate_limit_per_minute: null,
      max_payload_bytes: null,
    },
    keys: [],
    version: 1,
    retired: false,
    registered_at: Date.UTC(2026, 0, 1),
  };
}

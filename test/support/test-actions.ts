import crypto from "node:crypto";
import type { Producer } from "kafkajs";
import { ACTION_ID_HEADER, type ProposedAction, type MandateContracts } from "@mandate/contracts";
import { sendByPartition } from "@mandate/common/partition-sends";

/** An in-scope order lookup for `testRegistration` agents, with a unique action id. */
export function orderLookup(agentId: string, i: number): ProposedAction {
  return {
    action_id: `${agentId}-${i}-${crypto.randomUUID()}`,
    agent_id: agentId,
    session_id: agentId,
    session_task: `Where is order A-${i}?`,
    tool: "lookup_order",
    operation: "read",
    resource: null,
    destination: null,
    arguments_json: JSON.stringify({ order_id: `A-${i}` }),
    intent: "check the order",
    proposed_at: Date.now(),
    nonce: crypto.randomUUID(),
    key_id: null,
    signature: null,
  };
}

/** A fixed action for codec and intake tests, which compare what they decode with it. */
export function sampleAction(overrides: Partial<ProposedAction> = {}): ProposedAction {
  return {
    action_id: "a-1",
    agent_id: "bot",
    session_id: "s",
    session_task: null,
    tool: "lookup_order",
    operation: "read",
    resource: null,
    destination: null,
    arguments_json: "{}",
    intent: null,
    proposed_at: 1,
    nonce: "n",
    key_id: null,
    signature: null,
    executor_group: null,
    ...overrides,
  };
}

/**
 * Produces actions in batches of 100, acknowledged by every replica, spread round-robin over
 * `partitions` as many agents' keys would be, and returns their ids in order.
 */
export async function streamActions(
  producer: Producer,
  contracts: MandateContracts,
  topic: string,
  actions: ProposedAction[],
  partitions: number,
): Promise<string[]> {
  for (let i = 0; i < actions.length; i += 100) {
    const batch = actions.slice(i, i + 100);
    // One send per partition: see sendByPartition for why a send spanning brokers can lose messages.
    await sendByPartition(
      producer,
      topic,
      batch.map((a, j) => ({
        key: a.agent_id,
        partition: (i + j) % partitions,
        value: contracts.action.encode(a),
        headers: { [ACTION_ID_HEADER]: a.action_id },
      })),
      partitions,
    );
  }
  return actions.map((a) => a.action_id);
}

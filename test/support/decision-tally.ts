import crypto from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import type { MandateContracts } from "../../services/common/src/mandate-contracts.js";

/**
 * Counts committed decisions per action id on a decision topic, from its beginning, while a fault
 * test does its damage; exactly-once means every count ends at 1.
 */
export async function tallyDecisions(
  brokers: string[],
  topic: string,
  contracts: MandateContracts,
): Promise<{ counts: Map<string, number>; stop(): Promise<void> }> {
  const counts = new Map<string, number>();
  const reader = new Kafka({ brokers, logLevel: logLevel.NOTHING }).consumer({
    groupId: `decision-tally-${crypto.randomUUID()}`,
  });
  await reader.connect();
  await reader.subscribe({ topic, fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message }) => {
      const decision = await contracts.decision.decode(message.value);
      counts.set(decision.action.action_id, (counts.get(decision.action.action_id) ?? 0) + 1);
    },
  });
  return { counts, stop: () => reader.disconnect() };
}

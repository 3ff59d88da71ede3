import crypto from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import type { MandateContracts } from "@mandate/contracts";

/**
 * Counts committed decisions per action id on a decision topic, from its beginning, while a fault
 * test does its damage; exactly-once means every count ends at 1. `verdicts` keeps each action's
 * latest verdict, `reasons` each decision's verdict and reason codes, for telling duplicates apart.
 *
 * NOTE: a count is of distinct positions (partition, offset). The reader itself may read a message
 * again (kafkajs restarts a consumer from its last committed offset when a broker goes away), and
 * that is not a second decision.
 */
export async function tallyDecisions(
  brokers: string[],
  topic: string,
  contracts: MandateContracts,
): Promise<{
  counts: Map<string, number>;
  verdicts: Map<string, string>;
  reasons: Map<string, string[]>;
  /** Which validator decided each action (its latest decision). */
  validators: Map<string, string>;
  /** When this reader first saw a decision for each action (epoch ms). */
  seenAt: Map<string, number>;
  /** Where each action's decisions are ("partition:offset"). */
  positions: Map<string, Set<string>>;
  stop(): Promise<void>;
}> {
  const counts = new Map<string, number>();
  const positions = new Map<string, Set<string>>();
  const verdicts = new Map<string, string>();
  const reasons = new Map<string, string[]>();
  const validators = new Map<string, string>();
  const seenAt = new Map<string, number>();
  const reader = new Kafka({ brokers, logLevel: logLevel.NOTHING }).consumer({
    groupId: `decision-tally-${crypto.randomUUID()}`,
  });
  await reader.connect();
  await reader.subscribe({ topic, fromBeginning: true });
  await reader.run({
    eachMessage: async ({ partition, message }) => {
      const decision = await contracts.decision.decode(message.value);
      const id = decision.action.action_id;
      const seen = positions.get(id) ?? new Set<string>();
      const position = `${partition}:${message.offset}`;
      if (!seen.has(position)) {
        const summary = `${decision.verdict}(${decision.reasons.map((r) => r.code).join(",")})`;
        reasons.set(id, [...(reasons.get(id) ?? []), summary]);
      }
      seen.add(position);
      positions.set(id, seen);
      counts.set(id, seen.size);
      verdicts.set(id, decision.verdict);
      validators.set(id, decision.validator_id);
      if (!seenAt.has(id)) seenAt.set(id, Date.now());
    },
  });
  return { counts, verdicts, reasons, validators, seenAt, positions, stop: () => reader.disconnect() };
}

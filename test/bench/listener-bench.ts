import { Kafka, logLevel, type Consumer, type Message } from "kafkajs";
import type { InfraStack } from "../../infra/src/infra-stack.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import { type AvroCodec, type DecisionRecord, openContracts, isolatedTopics } from "@mandate/contracts";
import { sendByPartition } from "@mandate/common/partition-sends";
import { ensureTopics } from "@mandate/common/topics";
import { VerdictSigner } from "@mandate/common/verdict-signer";
import { consumeFromNow } from "@mandate/sdk/consume-from-now";
import { DecisionListener } from "@mandate/sdk/decision-listener";
import { paymentAction, signedDecision } from "../support/signed-decisions.js";

export interface ListenerRow {
  mode: string;
  /** CPU of this process (the clients' consumers, decoding, and the producer) per decision published. */
  cpuMicrosPerDecision: number;
  /** Decisions decoded by all clients together, per decision published. */
  decodesPerDecision: number;
}

/**
 * `clients` agents' decision listeners in this process, as `clients` agent processes would each run
 * one, while `decisions` decisions for them are published: before, every listener read and decoded
 * every partition (as the SDK did); after, each reads only its agent's partition (DecisionListener).
 */
export async function benchListeners(
  stack: InfraStack,
  options: { clients: number; decisions: number; partitions: number },
): Promise<ListenerRow[]> {
  const kafka = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING });
  const topics = isolatedTopics("bench-listeners");
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, topics, { actionPartitions: options.partitions });
  } finally {
    await admin.disconnect();
  }
  const contracts = await openContracts({ schemaRegistryUrl: stack.schemaRegistryUrl }, topics);
  const agents = Array.from({ length: options.clients }, (_, i) => `listening-agent-${i}`);
  const signer = VerdictSigner.create({ capabilityTtlSeconds: 60 });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  let decoded = 0;
  const counting = Object.create(contracts.decision) as AvroCodec<DecisionRecord>;
  counting.decode = async (value) => {
    decoded += 1;
    return contracts.decision.decode(value);
  };
  const rows: ListenerRow[] = [];
  try {
    for (const mode of ["every partition (before)", "own partition (after)"]) {
      const stops: Array<() => Promise<void>> = [];
      for (const agentId of agents) {
        if (mode.startsWith("own")) {
          const listener = new DecisionListener(kafka, topics.decisions, counting, agentId);
          await listener.start();
          stops.push(() => listener.stop());
        } else {
          const consumer: Consumer = await consumeFromNow(kafka, topics.decisions, () => ({
            eachMessage: async ({ message }) => void (await counting.decode(message.value).catch(() => undefined)),
          }));
          stops.push(() => consumer.disconnect());
        }
      }
      // Encoded and signed before the clock starts: the producer's share is the send alone.
      const messages: Message[] = Array.from({ length: options.decisions }, (_, i) => {
        const agentId = agents[i % agents.length]!;
        const record = signedDecision(
          signer,
          paymentAction({ agent_id: agentId, action_id: `bench-${i}` }),
          "approved",
        );
        return { key: agentId, value: contracts.decision.encode(record) };
      });
      const expected = mode.startsWith("own") ? options.decisions : options.decisions * agents.length;
      decoded = 0;
      const before = process.cpuUsage();
      for (let i = 0; i < messages.length; i += 500) {
        await sendByPartition(producer, topics.decisions, messages.slice(i, i + 500), options.partitions);
      }
      await waitUntil(`${mode}: every decision read`, async () => decoded >= expected, {
        timeoutMs: 300_000,
        intervalMs: 20,
      });
      const used = process.cpuUsage(before);
      rows.push({
        mode,
        cpuMicrosPerDecision: Math.round((used.user + used.system) / options.decisions),
        decodesPerDecision: Number((decoded / options.decisions).toFixed(2)),
      });
      for (const stop of stops) await stop();
    }
  } finally {
    await producer.disconnect();
  }
  return rows;
}

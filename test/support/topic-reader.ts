import crypto from "node:crypto";
import { Kafka, logLevel, type KafkaMessage } from "kafkajs";
import { waitUntil } from "../../infra/src/wait-until.js";

/** Reads a topic from the beginning (read-committed) until `enough` says so, then returns what it saw. */
export async function readTopic(
  brokers: string[],
  topic: string,
  enough: (messages: KafkaMessage[]) => boolean,
  timeoutMs = 60_000,
): Promise<KafkaMessage[]> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `test-reader-${crypto.randomUUID()}` });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => void messages.push(message) });
  try {
    await waitUntil(`messages on ${topic}`, async () => enough(messages), { timeoutMs, intervalMs: 100 });
    return messages;
  } finally {
    await consumer.disconnect();
  }
}

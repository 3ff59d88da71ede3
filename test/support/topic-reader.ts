import crypto from "node:crypto";
import { Kafka, logLevel, type Consumer, type KafkaMessage } from "kafkajs";
import { waitUntil } from "../../infra/src/wait-until.js";

/** A reader of its own, from the topic's beginning, never committing. */
async function readerFromBeginning(kafka: Kafka, topic: string, readUncommitted = false): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId: `test-reader-${crypto.randomUUID()}`, readUncommitted });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  return consumer;
}

/** Reads a topic from the beginning (read-committed) until `enough` says so, then returns what it saw. */
export async function readTopic(
  brokers: string[],
  topic: string,
  enough: (messages: KafkaMessage[]) => boolean,
  timeoutMs = 60_000,
): Promise<KafkaMessage[]> {
  const consumer = await readerFromBeginning(new Kafka({ brokers, logLevel: logLevel.NOTHING }), topic);
  const messages: KafkaMessage[] = [];
  await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => void messages.push(message) });
  try {
    await waitUntil(`messages on ${topic}`, async () => enough(messages), { timeoutMs, intervalMs: 100 });
    return messages;
  } finally {
    await consumer.disconnect();
  }
}

/**
 * Reads `topic` from its beginning to the end offsets it has when called, handing each record over; gives
 * up quietly after waitUntil's default timeout. A batch's last offset counts commit markers, which are
 * never handed over, so progress is taken from it.
 */
export async function readToEnd(
  brokers: string[],
  topic: string,
  readUncommitted: boolean,
  onMessage: (partition: number, message: KafkaMessage) => void,
): Promise<void> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const read = new Map<number, number>();
  const consumer = await readerFromBeginning(kafka, topic, readUncommitted);
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) =>
    read.set(payload.partition, Number(payload.lastOffset) + 1),
  );
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => onMessage(partition, message),
  });
  try {
    await waitUntil(`${topic} read to its end`, async () =>
      ends.every(({ partition, high }) => (read.get(partition) ?? 0) >= Number(high)),
    ).catch(() => undefined);
  } finally {
    await consumer.disconnect();
  }
}

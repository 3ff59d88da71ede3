import crypto from "node:crypto";
import type { Consumer, EachMessageHandler, Kafka, PartitionMetadata } from "kafkajs";
import { SDK_GROUP_PREFIX } from "../../services/common/src/consumer-groups.js";

/** Which of the topic's partitions to read (all when `partitions` is left out), and how. */
export interface FromNowReading {
  partitions?: number[];
  eachMessage: EachMessageHandler;
}

/**
 * Starts a consumer in a fresh private group that reads `topic` from "now" on: it seeks to the end
 * offsets taken before it joined, so a record produced after this resolves is never skipped, and
 * the topic's history is not read. `reading` is given the topic's partitions; the ones it leaves out
 * are paused. A consumer that fails to start is disconnected before the error is rethrown.
 */
export async function consumeFromNow(
  kafka: Kafka,
  topic: string,
  reading: (partitions: PartitionMetadata[]) => FromNowReading,
): Promise<Consumer> {
  const admin = kafka.admin();
  await admin.connect();
  const { partitions, ends } = await Promise.all([
    admin.fetchTopicMetadata({ topics: [topic] }),
    admin.fetchTopicOffsets(topic),
  ])
    .then(([metadata, ends]) => ({ partitions: metadata.topics[0]?.partitions ?? [], ends }))
    .finally(() => admin.disconnect());
  const { partitions: read = partitions.map((p) => p.partitionId), eachMessage } = reading(partitions);

  const consumer = kafka.consumer({ groupId: `${SDK_GROUP_PREFIX}${crypto.randomUUID()}`, readUncommitted: false });
  try {
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({ autoCommit: false, eachMessage });
    await joined;
  } catch (error) {
    await consumer.disconnect().catch(() => undefined);
    throw error;
  }
  const others = partitions.map((p) => p.partitionId).filter((p) => !read.includes(p));
  if (others.length > 0) consumer.pause([{ topic, partitions: others }]);
  for (const { partition, high } of ends) {
    if (read.includes(partition)) consumer.seek({ topic, partition, offset: high });
  }
  return consumer;
}

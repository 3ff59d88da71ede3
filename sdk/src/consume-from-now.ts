import crypto from "node:crypto";
import { Partitioners, type Consumer, type EachMessageHandler, type Kafka, type PartitionMetadata } from "kafkajs";
import { SDK_GROUP_PREFIX } from "./kafka/consumer-groups.js";

/**
 * The partition a kafkajs producer (an agent's, an executor's, the validator's, the review service's)
 * writes `key` to: the Java client's murmur2 partitioner, so other clients using Kafka's default agree.
 */
export function ownPartition(topic: string, partitions: PartitionMetadata[], key: string): number {
  return Partitioners.DefaultPartitioner()({ topic, partitionMetadata: partitions, message: { key, value: null } });
}

/** Which of the topic's partitions to read (all when `partitions` is left out), and how. */
export interface FromNowReading {
  partitions?: number[];
  eachMessage: EachMessageHandler;
}

/**
 * Starts a consumer in a fresh private group that reads `topic` from "now" on: it starts at the end
 * offsets taken before it joined, so a record produced after this resolves is never skipped, and
 * the topic's history is not read. `reading` is given the topic's partitions; the ones it leaves out
 * are paused. A consumer that fails to start is disconnected before the error is rethrown.
 *
 * NOTE: kafkajs restarts a consumer by itself after a retriable crash (a broker gone), with a new
 * group member that has forgotten seeks and pauses, and, having committed nothing, would read on from
 * the end: records written meanwhile would be skipped. So on every join the partitions left out are
 * paused again and each one read is sought to where this consumer stopped reading it.
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
  const others = partitions.map((p) => p.partitionId).filter((p) => !read.includes(p));
  /** partition → the offset to read next. */
  const next = new Map(ends.filter((e) => read.includes(e.partition)).map((e) => [e.partition, e.high]));

  const consumer = kafka.consumer({ groupId: `${SDK_GROUP_PREFIX}${crypto.randomUUID()}`, readUncommitted: false });
  try {
    // NOTE: kafkajs emits the join before its first fetch, which applies these seeks first.
    const joined = new Promise<void>((resolve) =>
      consumer.on(consumer.events.GROUP_JOIN, () => {
        if (others.length > 0) consumer.pause([{ topic, partitions: others }]);
        for (const [partition, offset] of next) consumer.seek({ topic, partition, offset });
        resolve();
      }),
    );
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachMessage: async (payload) => {
        if (!next.has(payload.partition)) return;
        await eachMessage(payload);
        next.set(payload.partition, String(Number(payload.message.offset) + 1));
      },
    });
    await joined;
  } catch (error) {
    await consumer.disconnect().catch(() => undefined);
    throw error;
  }
  return consumer;
}

import { Partitioners, type Kafka, type Message, type PartitionMetadata, type RecordMetadata } from "kafkajs";

/** Anything that sends a record: a producer, or a transaction of one. */
export interface RecordSender {
  send(record: { topic: string; messages: Message[]; acks?: number }): Promise<RecordMetadata[]>;
}

/**
 * Sends `messages` to `topic` as one send per partition, each message given the partition kafkajs's
 * default (Java-compatible, murmur2) partitioner would give its key; a message without key or partition
 * takes the partitions in turn. Partitions are sent one after another, in the order first seen, so the
 * messages of one partition keep their order.
 *
 * NOTE: kafkajs 2.2.4 can resolve a send without having written part of it. A send spanning partitions
 * led by several brokers keeps, across its retries, a map of the brokers that answered; when one leader
 * dies and its partitions move to a broker that already answered, the retry sends only to brokers not
 * in that map, so those partitions are never written and the send resolves all the same (the 3-broker
 * kill test lost acknowledged actions this way; kafkajs PR #1798 describes the same map). With one
 * partition per send there is one broker per send, and a retry goes to whichever leads it then.
 *
 * `partitions` must be the topic's partition count as the cluster has it (topicPartitionCounts).
 */
export async function sendByPartition(
  sender: RecordSender,
  topic: string,
  messages: Message[],
  partitions: number,
  acks = -1,
): Promise<void> {
  for (const [partition, group] of groupByPartition(messages, partitions)) {
    await sender.send({ topic, acks, messages: group.map((message) => ({ ...message, partition })) });
  }
}

/** Each message's partition, as kafkajs's default partitioner would choose it, grouped in order. */
export function groupByPartition(messages: Message[], partitions: number): Map<number, Message[]> {
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId): PartitionMetadata => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [],
    isr: [],
  }));
  const partitioner = Partitioners.DefaultPartitioner();
  const groups = new Map<number, Message[]>();
  let unkeyed = 0;
  for (const message of messages) {
    const partition =
      message.partition ??
      (message.key === null || message.key === undefined
        ? unkeyed++ % partitions
        : partitioner({ topic: "", partitionMetadata, message }));
    const group = groups.get(partition);
    if (group) group.push(message);
    else groups.set(partition, [message]);
  }
  return groups;
}

/** The partition count of each of `topics`, from the cluster's metadata. */
export async function topicPartitionCounts(kafka: Kafka, topics: string[]): Promise<Map<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const metadata = await admin.fetchTopicMetadata({ topics });
    return new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
  } finally {
    await admin.disconnect();
  }
}

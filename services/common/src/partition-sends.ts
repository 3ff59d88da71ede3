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

/** A transaction, or anything else that sends several topics' records at once. */
export interface BatchSender {
  sendBatch(batch: {
    topicMessages: Array<{ topic: string; messages: Message[] }>;
    acks?: number;
  }): Promise<RecordMetadata[]>;
}

/** A send that resolved without an answer for some of the partitions it was given (see sendInTransaction). */
export class PartialSendError extends Error {
  constructor(readonly missing: string[]) {
    super(`kafkajs resolved a send without writing ${missing.join(", ")}`);
    this.name = "PartialSendError";
  }
}

/**
 * Bytes of one partition's records per request. NOTE: the broker refuses a request whose record batch
 * for one partition exceeds `message.max.bytes` (1 MiB by default), and kafkajs then fails the whole
 * transaction. A decision carries its action plus signatures and reasons, so the decisions of a full
 * fetch (up to 1 MiB of actions per partition) are larger than that fetch.
 */
export const MAX_PARTITION_SEND_BYTES = 512 * 1024;

/**
 * Sends several topics' messages inside a transaction in as few requests as kafkajs makes them: per
 * broker one AddPartitionsToTxn for all the partitions it leads and one produce, where one send per
 * partition makes two requests per partition, one after another. Partitions are given as in
 * sendByPartition; a partition's records beyond MAX_PARTITION_SEND_BYTES go in a further request.
 *
 * NOTE: kafkajs's send across brokers can resolve without having written some partitions (see
 * sendByPartition). Here every partition sent must be in kafkajs's answer, or the send fails with
 * PartialSendError: inside a transaction, which the caller then aborts, nothing of it remains. Not for
 * a producer outside a transaction, where the partitions that were written would stay written.
 */
export async function sendInTransaction(
  transaction: BatchSender,
  topics: Array<{ topic: string; messages: Message[]; partitions: number }>,
): Promise<void> {
  const rounds: Array<Array<{ topic: string; messages: Message[] }>> = [];
  for (const { topic, messages, partitions } of topics) {
    for (const [partition, group] of groupByPartition(messages, partitions)) {
      boundedChunks(group, MAX_PARTITION_SEND_BYTES).forEach((chunk, round) => {
        (rounds[round] ??= []).push({ topic, messages: chunk.map((message) => ({ ...message, partition })) });
      });
    }
  }
  for (const topicMessages of rounds) {
    const answered = new Set(
      (await transaction.sendBatch({ topicMessages, acks: -1 }))
        .filter((r) => r.errorCode === 0)
        .map((r) => `${r.topicName}/${r.partition}`),
    );
    const missing = topicMessages
      .map(({ topic, messages }) => `${topic}/${messages[0]?.partition}`)
      .filter((key) => !answered.has(key));
    if (missing.length > 0) throw new PartialSendError(missing);
  }
}

/** `messages` in order, cut into runs of at most `maxBytes` (a message larger than that alone). */
function boundedChunks(messages: Message[], maxBytes: number): Message[][] {
  const chunks: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = byteLength(message.value) + byteLength(message.key) + 128;
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function byteLength(value: Message["value"] | Message["key"]): number {
  if (value === null || value === undefined) return 0;
  return typeof value === "string" ? Buffer.byteLength(value) : value.length;
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

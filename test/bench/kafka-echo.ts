import crypto from "node:crypto";
import { Kafka, logLevel, type Consumer, type EachBatchPayload, type Producer } from "kafkajs";
import type { EchoSettings } from "./echo-settings.js";

/**
 * A baseline for the pipeline: a consume → produce loop that forwards each message unchanged, with no
 * decoding and no decision, in the shape `settings` gives (echo-settings.ts): plain sends, or the
 * validator's loop — a transaction per partition batch holding the forwarded messages, a state record
 * per message when asked, and the consumed offsets.
 */
export class KafkaEcho {
  private readonly kafka: Kafka;
  private readonly groupId = `bench-echo-${crypto.randomUUID()}`;
  private consumer: Consumer | undefined;
  /** Keyed by input partition; a single producer sits under -1. */
  private readonly producers = new Map<number, Promise<Producer>>();

  constructor(
    brokers: string[],
    private readonly settings: EchoSettings,
    private readonly topics: { from: string; to: string; state?: string },
  ) {
    this.kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, retry: settings.clientRetry });
    if (settings.writesStateTopic && topics.state === undefined) throw new Error("this echo needs a state topic");
  }

  async start(): Promise<void> {
    this.consumer = this.kafka.consumer({ ...this.settings.consumer, groupId: this.groupId });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topics.from, fromBeginning: true });
    await this.consumer.run(
      this.settings.transactional
        ? {
            autoCommit: false,
            eachBatchAutoResolve: false,
            partitionsConsumedConcurrently: this.settings.concurrency ?? 1,
            eachBatch: (payload) => this.forwardInTransaction(payload),
          }
        : {
            partitionsConsumedConcurrently: this.settings.concurrency ?? 1,
            eachBatch: (payload) => this.forward(payload),
          },
    );
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await Promise.all([...this.producers.values()].map(async (p) => (await p).disconnect()));
  }

  private async forward({ batch }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0) return;
    await (await this.producerFor(batch.partition)).send({ topic: this.topics.to, acks: -1, messages: copies(batch) });
  }

  private async forwardInTransaction({ batch, resolveOffset, heartbeat }: EachBatchPayload): Promise<void> {
    const last = batch.messages.at(-1)?.offset;
    if (last === undefined) return;
    const transaction = await (await this.producerFor(batch.partition)).transaction();
    try {
      await transaction.send({ topic: this.topics.to, messages: copies(batch) });
      if (this.settings.writesStateTopic) {
        await transaction.send({
          topic: this.topics.state as string,
          messages: batch.messages.map((m) => ({ key: m.key, value: m.value, partition: batch.partition })),
        });
      }
      await transaction.sendOffsets({
        consumerGroupId: this.groupId,
        topics: [
          { topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(Number(last) + 1) }] },
        ],
      });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      throw error;
    }
    resolveOffset(last);
    await heartbeat();
  }

  /** Created on a partition's first batch, so before the measured messages (the bench warms up first). */
  private producerFor(partition: number): Promise<Producer> {
    const slot = this.settings.producerPerPartition ? partition : -1;
    let producer = this.producers.get(slot);
    if (producer === undefined) {
      const created = this.kafka.producer({
        ...this.settings.producer,
        ...(this.settings.transactional ? { transactionalId: `${this.groupId}-${slot}` } : {}),
      });
      producer = created.connect().then(() => created);
      this.producers.set(slot, producer);
    }
    return producer;
  }
}

function copies({ messages }: EachBatchPayload["batch"]) {
  return messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers }));
}

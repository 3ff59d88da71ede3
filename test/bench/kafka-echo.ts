import crypto from "node:crypto";
import { Kafka, logLevel, type Consumer, type EachBatchPayload, type KafkaMessage, type Producer } from "kafkajs";
import { sendInTransaction } from "@mandate/common/partition-sends";
import type { EchoSettings } from "./echo-settings.js";

/**
 * A baseline for the pipeline: a consume → produce loop that forwards each message unchanged, with no
 * decoding and no decision, in the shape `settings` gives (echo-settings.ts): plain sends, or the
 * validator's loop — a transaction per partition batch holding the forwarded messages, a state record
 * per message when asked, and the consumed offsets (committed to the group, or as a state record).
 */
export class KafkaEcho {
  private readonly kafka: Kafka;
  private readonly groupId = `bench-echo-${crypto.randomUUID()}`;
  private consumer: Consumer | undefined;
  /** Keyed by input partition; a single producer sits under -1. */
  private readonly producers = new Map<number, Promise<Producer>>();
  /** With fetchesWhileCommitting: each partition's messages not yet forwarded, and whether it is committing. */
  private readonly lanes = new Map<number, { queued: KafkaMessage[]; committing: boolean }>();
  /** A lane's failed transaction, thrown to kafkajs with the next batch (a bench echo does not recover). */
  private laneFailure: unknown;
  /** With offsetsInStateTopic: offsets committed since the group's last copy, copied every second. */
  private readonly groupOffsets = new Map<number, number>();
  private groupOffsetsTimer: NodeJS.Timeout | undefined;

  constructor(
    brokers: string[],
    private readonly settings: EchoSettings,
    private readonly topics: { from: string; to: string; state?: string },
    /** The partition count of the topics written (sendInTransaction places keyed records by it). */
    private readonly partitions: number,
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
            eachBatch: (payload) =>
              this.settings.fetchesWhileCommitting ? this.queue(payload) : this.forwardInTransaction(payload),
          }
        : {
            partitionsConsumedConcurrently: this.settings.concurrency ?? 1,
            eachBatch: (payload) => this.forward(payload),
          },
    );
    if (this.settings.offsetsInStateTopic) {
      this.groupOffsetsTimer = setInterval(() => {
        const topic = this.topics.from;
        const offsets = [...this.groupOffsets].map(([partition, next]) => ({ topic, partition, offset: String(next) }));
        this.groupOffsets.clear();
        if (offsets.length > 0) this.consumer?.commitOffsets(offsets).catch(() => undefined);
      }, 1000);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.groupOffsetsTimer);
    await this.consumer?.disconnect();
    while ([...this.lanes.values()].some((lane) => lane.committing)) await new Promise((r) => setTimeout(r, 10));
    await Promise.all([...this.producers.values()].map(async (p) => (await p).disconnect()));
  }

  private async forward({ batch }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0) return;
    await (
      await this.producerFor(batch.partition)
    ).send({ topic: this.topics.to, acks: -1, messages: copies(batch.messages) });
  }

  private async forwardInTransaction({ batch, resolveOffset, heartbeat }: EachBatchPayload): Promise<void> {
    const last = batch.messages.at(-1)?.offset;
    if (last === undefined) return;
    await this.commitForwarded(batch.partition, batch.messages);
    resolveOffset(last);
    await heartbeat();
  }

  /** The lane's way (fetchesWhileCommitting): queued, resolved at once, forwarded by the partition's own loop. */
  private async queue({ batch, resolveOffset }: EachBatchPayload): Promise<void> {
    const last = batch.messages.at(-1)?.offset;
    if (last === undefined) return;
    let lane = this.lanes.get(batch.partition);
    if (lane === undefined) this.lanes.set(batch.partition, (lane = { queued: [], committing: false }));
    if (this.laneFailure !== undefined) throw this.laneFailure;
    lane.queued.push(...batch.messages);
    resolveOffset(last);
    if (lane.committing) return;
    lane.committing = true;
    const committing = lane;
    const drain = async () => {
      while (committing.queued.length > 0) await this.commitForwarded(batch.partition, committing.queued.splice(0));
    };
    drain()
      .catch((error: unknown) => (this.laneFailure = error))
      .finally(() => (committing.committing = false));
  }

  /** One transaction: the messages forwarded (and their state records), and the offset after the last. */
  private async commitForwarded(partition: number, messages: KafkaMessage[]): Promise<void> {
    const last = messages.at(-1)?.offset as string;
    const forwarded = copies(messages);
    const state = forwarded.map((m) => ({ ...m, partition }));
    if (this.settings.offsetsInStateTopic) {
      state.push({
        key: Buffer.from(`offset-${partition}`),
        value: Buffer.from(String(Number(last) + 1)),
        headers: {},
        partition,
      });
    }
    const transaction = await (await this.producerFor(partition)).transaction();
    try {
      if (this.settings.fetchesWhileCommitting) {
        await sendInTransaction(transaction, [
          { topic: this.topics.to, messages: forwarded, partitions: this.partitions },
          ...(this.settings.writesStateTopic
            ? [{ topic: this.topics.state as string, messages: state, partitions: this.partitions }]
            : []),
        ]);
      } else {
        await transaction.send({ topic: this.topics.to, messages: forwarded });
        if (this.settings.writesStateTopic) {
          await transaction.send({ topic: this.topics.state as string, messages: state });
        }
      }
      if (!this.settings.offsetsInStateTopic) {
        await transaction.sendOffsets({
          consumerGroupId: this.groupId,
          topics: [{ topic: this.topics.from, partitions: [{ partition, offset: String(Number(last) + 1) }] }],
        });
      }
      await transaction.commit();
      if (this.settings.offsetsInStateTopic) this.groupOffsets.set(partition, Number(last) + 1);
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      throw error;
    }
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

function copies(messages: KafkaMessage[]) {
  return messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers }));
}

import crypto from "node:crypto";
import type { Consumer, Kafka, Producer } from "kafkajs";

/**
 * The baseline: the validator's consume-transform-produce loop with the same client settings
 * (transactional producer, read-committed consumer, one transaction per partition batch, offsets
 * in the transaction) that forwards each message unchanged, with no decoding and no decision.
 */
export class KafkaEcho {
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly from: string,
    private readonly to: string,
  ) {}

  async start(): Promise<void> {
    const groupId = `bench-echo-${crypto.randomUUID()}`;
    this.producer = this.kafka.producer({
      transactionalId: groupId,
      idempotent: true,
      maxInFlightRequests: 1,
      retry: { initialRetryTime: 5, maxRetryTime: 1000 },
    });
    await this.producer.connect();
    this.consumer = this.kafka.consumer({ groupId, readUncommitted: false });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.from, fromBeginning: true });
    const producer = this.producer;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        const last = batch.messages.at(-1)?.offset;
        if (last === undefined) return;
        const transaction = await producer.transaction();
        try {
          await transaction.send({
            topic: this.to,
            messages: batch.messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
          });
          await transaction.sendOffsets({
            consumerGroupId: groupId,
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
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }
}

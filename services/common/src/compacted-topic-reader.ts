import crypto from "node:crypto";
import type { Consumer, Kafka } from "kafkajs";
import { superviseConsumer } from "./consumer-supervisor.js";
import type { Logger } from "./logger.js";

/**
 * Reads a whole compacted topic (registrations, policy sets) into the caller's memory and keeps
 * applying updates as they arrive. It uses a private consumer group and never commits: every
 * instance rebuilds its view from the topic, which is the source of truth. `start` resolves once
 * it has read up to the end offsets it saw when it began, so nothing is decided against a
 * half-loaded view.
 */
export class CompactedTopicReader {
  private consumer: Consumer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly apply: (key: string, value: Buffer | null) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(this.topic);
    await admin.disconnect();
    const remaining = new Map(ends.filter((p) => Number(p.high) > 0).map((p) => [p.partition, Number(p.high)]));

    let markReady: () => void = () => {};
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    if (remaining.size === 0) markReady();

    await this.consume((partition, offset) => {
      const end = remaining.get(partition);
      if (end !== undefined && offset + 1 >= end) {
        remaining.delete(partition);
        if (remaining.size === 0) markReady();
      }
    });
    await ready;
  }

  /**
   * A fresh private group reads the topic from the beginning again: applying a registration or
   * policy version twice is a no-op, so a rebuilt consumer needs no stored position.
   */
  private async consume(onRead: (partition: number, offset: number) => void): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    const consumer = this.kafka.consumer({ groupId: `mandate-view-${crypto.randomUUID()}` });
    this.consumer = consumer;
    superviseConsumer(consumer, () => this.consume(onRead), this.logger);
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const key = message.key?.toString();
        if (key) await this.apply(key, message.value);
        onRead(partition, Number(message.offset));
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

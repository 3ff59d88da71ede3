import crypto from "node:crypto";
import type { Consumer, Kafka } from "kafkajs";

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

    this.consumer = this.kafka.consumer({ groupId: `mandate-view-${crypto.randomUUID()}` });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const key = message.key?.toString();
        if (key) await this.apply(key, message.value);
        const end = remaining.get(partition);
        if (end !== undefined && Number(message.offset) + 1 >= end) {
          remaining.delete(partition);
          if (remaining.size === 0) markReady();
        }
      },
    });
    await ready;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

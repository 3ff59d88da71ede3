import crypto from "node:crypto";
import type { Consumer, Kafka } from "kafkajs";
import { READER_GROUP_PREFIX } from "./consumer-groups.js";
import { superviseConsumer } from "./consumer-supervisor.js";
import type { Logger } from "./logger.js";
import { SharedAdmin } from "./shared-admin.js";

/**
 * Reads a whole compacted topic (registrations, policy sets) into the caller's memory and keeps
 * applying updates as they arrive. It uses a private consumer group and never commits: every
 * instance rebuilds its view from the topic, which is the source of truth. `start` resolves once
 * it has read up to the end offsets it saw when it began, so nothing is decided against a
 * half-loaded view.
 */
export class CompactedTopicReader {
  private consumer: Consumer | undefined;
  /** Kept connected once first used: a reader asked often must not pay a connection each time. */
  private readonly admin: SharedAdmin;
  /** partition → the offset after the last record applied. */
  private readonly read = new Map<number, number>();
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly apply: (key: string, value: Buffer | null) => Promise<void>,
    private readonly logger: Logger,
  ) {
    this.admin = new SharedAdmin(kafka);
  }

  async start(): Promise<void> {
    const ends = await this.admin.use((admin) => admin.fetchTopicOffsets(this.topic));
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
    const consumer = this.kafka.consumer({ groupId: `${READER_GROUP_PREFIX}${crypto.randomUUID()}` });
    this.consumer = consumer;
    superviseConsumer(consumer, () => this.consume(onRead), this.logger);
    // A batch's last offset counts records compaction removed, which eachMessage never sees.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.topic === this.topic) this.progress(payload.partition, Number(payload.lastOffset) + 1);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const key = message.key?.toString();
        if (key) await this.apply(key, message.value);
        onRead(partition, Number(message.offset));
        this.progress(partition, Number(message.offset) + 1);
      },
    });
  }

  /**
   * Resolves true once every record written before the call has been applied, false if that takes
   * longer than `timeoutMs`: one offsets request, then as long as the reader takes to reach them.
   */
  async catchUp(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const ends = await this.admin.use((admin) => admin.fetchTopicOffsets(this.topic));
    const isCaughtUp = () =>
      ends.every(({ partition, low, high }) => Math.max(this.read.get(partition) ?? 0, Number(low)) >= Number(high));
    while (!isCaughtUp() && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.waiters.add(resolve);
        setTimeout(resolve, Math.max(0, Math.min(50, deadline - Date.now()))).unref();
      });
    }
    return isCaughtUp();
  }

  private progress(partition: number, nextOffset: number): void {
    if (nextOffset > (this.read.get(partition) ?? 0)) this.read.set(partition, nextOffset);
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.admin.close();
  }
}

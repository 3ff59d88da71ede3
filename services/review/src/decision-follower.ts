import crypto from "node:crypto";
import type { Consumer, Kafka } from "kafkajs";
import type { AvroCodec } from "../../common/src/avro-codec.js";
import { superviseConsumer } from "../../common/src/consumer-supervisor.js";
import type { DecisionRecord } from "../../common/src/decision.js";
import { DependencyUnavailableError } from "../../common/src/errors.js";
import type { Logger } from "../../common/src/logger.js";

/**
 * Reads the decision topic (read-committed) from a point in time on, and keeps following it. The
 * review queue is state derived from that topic, so this uses a private consumer group that never
 * commits: each start, and each rebuild after a consumer crash, reads the window again, and
 * handling a record twice is a no-op for the queue.
 *
 * `start` resolves once everything committed before it was called has been handled, so the
 * deadline is never applied to a flag whose superseding record is further down the topic.
 */
export class DecisionFollower {
  private consumer: Consumer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly codec: AvroCodec<DecisionRecord>,
    private readonly handle: (record: DecisionRecord) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  /** Reads from the first record at or after `since()` (epoch ms); resolves once caught up. */
  async start(since: () => number): Promise<void> {
    const { starts, ends } = await this.offsets(since());
    const remaining = new Map<number, number>();
    for (const { partition, high } of ends) {
      if (Number(high) > (starts.get(partition) ?? Number(high))) remaining.set(partition, Number(high));
    }
    let markCaughtUp: () => void = () => {};
    const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));
    if (remaining.size === 0) markCaughtUp();
    const progress = (partition: number, lastOffset: number) => {
      const end = remaining.get(partition);
      if (end !== undefined && lastOffset + 1 >= end) {
        remaining.delete(partition);
        if (remaining.size === 0) markCaughtUp();
      }
    };
    await this.consume(starts, progress, since);
    await caughtUp;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }

  /** Where reading starts (the first offset at or after `since` per partition) and the committed end. */
  private async offsets(
    since: number,
  ): Promise<{ starts: Map<number, number>; ends: Array<{ partition: number; high: string }> }> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const byTime = await admin.fetchTopicOffsetsByTimestamp(this.topic, since);
      const ends = await admin.fetchTopicOffsets(this.topic);
      return { starts: new Map(byTime.map((p) => [p.partition, Number(p.offset)])), ends };
    } finally {
      await admin.disconnect();
    }
  }

  private async consume(
    starts: Map<number, number>,
    progress: (partition: number, lastOffset: number) => void,
    since: () => number,
  ): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    const consumer = this.kafka.consumer({ groupId: `mandate-review-${crypto.randomUUID()}`, readUncommitted: false });
    this.consumer = consumer;
    // A rebuilt consumer reads the window again from its start, measured anew.
    superviseConsumer(
      consumer,
      async () => this.consume((await this.offsets(since())).starts, progress, since),
      this.logger,
    );
    // NOTE: the validator writes decisions in transactions, so a partition may end in a commit marker
    // that eachMessage never sees; only this event's lastOffset counts it.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.topic === this.topic) progress(payload.partition, Number(payload.lastOffset));
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: false });
    // NOTE: not awaited before seeking, as kafkajs documents: the seeks are then in place before the
    // first fetch, so nothing is read from "latest" before the window and nothing is skipped.
    const running = consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const record = await this.codec.decode(message.value).catch((error: unknown) => {
          // The registry not answering is no fault of the record: thrown, kafkajs reads it again.
          if (error instanceof DependencyUnavailableError) throw error;
          this.logger.warn(
            { event: "decision_undecodable", partition, offset: message.offset, err: error },
            "decision unreadable; it neither opens nor closes a review",
          );
          return undefined;
        });
        if (record) await this.handle(record);
      },
    });
    for (const [partition, offset] of starts) consumer.seek({ topic: this.topic, partition, offset: String(offset) });
    await running;
  }
}

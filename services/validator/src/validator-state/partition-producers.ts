import type { Kafka, Producer, ProducerConfig } from "kafkajs";

/**
 * One transactional producer per assigned action partition, with a transactional id derived from the
 * group, topic and partition rather than from the validator instance: the fencing Kafka Streams used
 * before KIP-447. Whoever is assigned a partition initialises its transactional id, which bumps the id's
 * epoch, aborts any transaction the previous owner left open, and makes every later send, offset commit
 * or commit of that previous owner fail with INVALID_PRODUCER_EPOCH.
 *
 * Why not KIP-447 (one producer, fenced by the consumer group generation): kafkajs 2.2.4 speaks
 * TxnOffsetCommit v0–v1 only, which carry the group id but no generation or member id, so the group
 * coordinator accepts a transactional offset commit from a member it already expelled. With one
 * transactional id per instance, a validator stalled past its session timeout (a GC pause, a frozen VM)
 * could therefore commit a second decision for actions its successor had already decided.
 */
export class PartitionProducers {
  private readonly producers = new Map<number, Producer>();

  constructor(
    private readonly kafka: Kafka,
    /** Unique per consumer group and input topic; the partition number is appended. */
    private readonly transactionalIdPrefix: string,
    private readonly config: Omit<ProducerConfig, "transactionalId">,
  ) {}

  /**
   * Takes over `partitions` for a new group generation: a fresh producer per partition, initialised (so
   * the previous owner is fenced and its open transaction aborted) before this call returns. Producers
   * of the previous generation are closed: one of them may have been fenced by another owner meanwhile.
   */
  async claim(partitions: readonly number[]): Promise<void> {
    await this.close();
    for (const partition of partitions) {
      const producer = this.kafka.producer({
        ...this.config,
        transactionalId: `${this.transactionalIdPrefix}-${partition}`,
      });
      this.producers.set(partition, producer);
      await producer.connect();
      // kafkajs initialises the transactional id (InitProducerId) with the first transaction; nothing
      // is sent, so aborting it sends nothing either.
      const fence = await producer.transaction();
      await fence.abort();
    }
  }

  /** The producer of an assigned partition; throws for one this instance does not hold. */
  of(partition: number): Producer {
    const producer = this.producers.get(partition);
    if (producer === undefined) throw new Error(`partition ${partition} is not claimed by this validator`);
    return producer;
  }

  async close(): Promise<void> {
    const producers = [...this.producers.values()];
    this.producers.clear();
    await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
  }
}

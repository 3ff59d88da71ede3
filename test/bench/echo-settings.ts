import type { ConsumerConfig, ProducerConfig, RetryOptions } from "kafkajs";
import { groupTimings, type ValidatorConfig } from "@mandate/validator/validator-config";

/**
 * How a Kafka echo (kafka-echo.ts) forwards what it reads: the client settings and the shape of its
 * transaction. The bench runs three side by side, so that the pipeline's latency can be read against
 * what Kafka alone costs with the same settings.
 */
export interface EchoSettings {
  /** How the bench's tables and JSON keys name this echo. */
  name: string;
  /** Consume → produce in a transaction with the offsets, read_committed; otherwise plain sends. */
  transactional: boolean;
  /** One transactional producer per input partition (the validator's PartitionProducers), or one for all. */
  producerPerPartition: boolean;
  /**
   * Also write one record per message to a second topic in the same transaction (same partition), as
   * the validator writes its state changelog with its decisions.
   */
  writesStateTopic: boolean;
  /**
   * Transactional with a state topic only: the consumed offset goes as a record of the state topic in the
   * transaction instead of to the consumer group (sendOffsets), and the group gets a copy every second
   * outside the transactions (the validator's StateChangelog.offsetRecord and commitGroupOffsets).
   */
  offsetsInStateTopic?: boolean;
  /** Partitions handled at once (kafkajs `partitionsConsumedConcurrently`); 1 when left out. */
  concurrency?: number;
  /**
   * Transactional only: each partition's batches go to a queue of its own and kafkajs fetches on while
   * the partition's transaction commits; the next transaction carries everything queued meanwhile, its
   * records sent with sendInTransaction (the validator's lanes). Otherwise kafkajs fetches again only
   * once every batch of a fetch is committed.
   */
  fetchesWhileCommitting?: boolean;
  /** The kafkajs client's retry (createKafka's for the validator). */
  clientRetry: RetryOptions;
  consumer: Omit<ConsumerConfig, "groupId">;
  producer: Omit<ProducerConfig, "transactionalId">;
}

/** The limit: produce → consume → produce → consume with no transaction and no offsets on the path. */
export const PLAIN_ECHO: EchoSettings = {
  name: "plain",
  transactional: false,
  producerPerPartition: false,
  writesStateTopic: false,
  clientRetry: { initialRetryTime: 100 },
  consumer: { readUncommitted: true },
  producer: { idempotent: true, maxInFlightRequests: 1 },
};

/**
 * The transactional echo as the bench ran it before the validator's settings were mirrored: one
 * producer and one transaction per partition batch, read_committed, kafkajs defaults otherwise.
 */
export const TXN_ECHO: EchoSettings = {
  name: "txn",
  transactional: true,
  producerPerPartition: false,
  writesStateTopic: false,
  clientRetry: { initialRetryTime: 300 },
  consumer: { readUncommitted: false },
  producer: { idempotent: true, maxInFlightRequests: 1, retry: { initialRetryTime: 5, maxRetryTime: 1000 } },
};

/**
 * The validator's consume-transform-produce settings, with no decoding and no decision. NOTE: the one
 * place that follows the validator: mirrors ValidatorService.consume() (consumer and producer options),
 * PartitionProducers (a producer per partition), queueBatch and decideLane (a lane per partition),
 * decideAndCommit (decisions and state changelog with the next offset in one transaction, the records
 * in one sendInTransaction; the group's copy of the offsets every second) and createKafka (client retry). When those change, change this.
 */
export function validatorEcho(
  config: Pick<ValidatorConfig, "sessionTimeoutMs" | "transactionTimeoutMs" | "partitionsConcurrently">,
): EchoSettings {
  return {
    name: "txn_validator",
    transactional: true,
    producerPerPartition: true,
    writesStateTopic: true,
    offsetsInStateTopic: true,
    concurrency: config.partitionsConcurrently,
    fetchesWhileCommitting: true,
    clientRetry: { initialRetryTime: 100 },
    consumer: {
      readUncommitted: false,
      sessionTimeout: config.sessionTimeoutMs,
      ...groupTimings(config.sessionTimeoutMs),
    },
    producer: {
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: config.transactionTimeoutMs,
      retry: { initialRetryTime: 2, maxRetryTime: 1000, retries: Number.MAX_SAFE_INTEGER },
    },
  };
}

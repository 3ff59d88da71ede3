import type { AddressInfo } from "node:net";
import type { Consumer, EachBatchPayload, Kafka, Message, Producer } from "kafkajs";
import {
  detectCapabilities,
  openClickHouse,
  type ClickHouseCapabilities,
  type ClickHouseClient,
} from "../../common/src/clickhouse-connection.js";
import { DEAD_LETTER_HEADERS, deadLetterMessage, headerText } from "../../common/src/dead-letter.js";
import { UndecodableMessageError } from "../../common/src/errors.js";
import { superviseConsumer } from "../../common/src/consumer-supervisor.js";
import { ServiceHttp } from "../../common/src/service-http.js";
import { SinkMetrics } from "../../common/src/service-metrics.js";
import { createKafka } from "../../common/src/kafka-client.js";
import { createLogger, type Logger } from "../../common/src/logger.js";
import { openContracts, type MandateContracts } from "../../common/src/mandate-contracts.js";
import { ensureTopics } from "../../common/src/topics.js";
import { migrateTrail } from "../../common/src/trail-migrations.js";
import { applyRetention } from "../../common/src/trail-retention.js";
import type { SinkConfig } from "./sink-config.js";
import { deadLetterRow, decisionRow } from "./trail-rows.js";
import { DecisionChainer } from "./decision-chainer.js";
import { TrailWriter } from "./trail-writer.js";

/**
 * Writes decisions (and through views, actions and reviews) and dead letters to the ClickHouse trail. For each partition batch it
 * inserts the rows first and commits the offsets only after ClickHouse has them; a crash in between
 * re-delivers the batch, and the ReplacingMergeTree keys collapse the repeated rows.
 */
export class SinkService {
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private contracts: MandateContracts | undefined;
  private capabilities: ClickHouseCapabilities | undefined;
  private writer: TrailWriter | undefined;
  private chainer: DecisionChainer | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  private clickhouse: ClickHouseClient | undefined;
  private kafka: Kafka | undefined;
  private http: ServiceHttp | undefined;
  private httpAddress: AddressInfo | undefined;
  private started = false;
  readonly metrics = new SinkMetrics();
  readonly logger: Logger;

  constructor(private readonly config: SinkConfig) {
    this.logger = createLogger("sink", config.logLevel);
  }

  /** The trail's client. In embedded mode it is the only one that may exist, so readers borrow it. */
  get trail(): ClickHouseClient {
    if (!this.clickhouse) throw new Error("sink is not started");
    return this.clickhouse;
  }

  get degraded(): boolean {
    return this.writer?.degraded ?? false;
  }

  async start(): Promise<void> {
    const { config } = this;
    this.clickhouse = await openClickHouse(config.clickhouse);
    const { applied } = await migrateTrail(this.clickhouse, config.database);
    this.capabilities = await detectCapabilities(this.clickhouse);
    this.logger.info(
      { event: "trail_migrated", applied, clickhouse_version: this.capabilities.version, mode: config.clickhouse.mode },
      "trail schema up to date",
    );
    await this.enforceRetention();
    if (!this.capabilities.ttl && Object.keys(config.retentionDays).length > 0) {
      this.retentionTimer = setInterval(() => void this.enforceRetention(), config.retentionIntervalMs);
      this.retentionTimer.unref();
    }
    this.writer = new TrailWriter(this.clickhouse, config.database, this.logger, config.maxRetryDelayMs);
    this.chainer = new DecisionChainer(this.clickhouse, config.database);

    const kafka = createKafka(config.kafkaBrokers, "mandate-sink", this.logger);
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, config.topics, { actionPartitions: config.actionPartitions });
    await admin.disconnect();
    this.contracts = await openContracts(config.schemaRegistryUrl, config.topics);

    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    this.kafka = kafka;
    await this.consume();
    if (config.httpPort !== null) {
      this.http = new ServiceHttp(this.metrics.registry, { ready: () => this.started && !this.degraded }, this.logger);
      this.httpAddress = await this.http.listen(config.httpPort);
    }
    this.started = true;
    this.logger.info({ event: "sink_started", group_id: config.groupId }, "sink started");
  }

  /** Applies the retention policy; a failure is logged and retried at the next interval, never fatal. */
  private async enforceRetention(): Promise<void> {
    const { retentionDays, database } = this.config;
    if (Object.keys(retentionDays).length === 0) return;
    try {
      const outcomes = await applyRetention(
        this.clickhouse as ClickHouseClient,
        database,
        this.capabilities as ClickHouseCapabilities,
        retentionDays,
      );
      for (const outcome of outcomes) {
        this.logger.info(
          { event: "trail_retention", ...outcome },
          `retention of ${outcome.table}: ${outcome.days} days`,
        );
      }
    } catch (error) {
      this.logger.error({ event: "trail_retention_failed", err: error }, "could not apply the trail retention");
    }
  }

  /** Subscribes a fresh consumer; called at start and to rebuild one after a crash kafkajs does not recover from. */
  private async consume(): Promise<void> {
    const { config } = this;
    await this.consumer?.disconnect().catch(() => undefined);
    const consumer = (this.kafka as Kafka).consumer({ groupId: config.groupId, readUncommitted: false });
    this.consumer = consumer;
    superviseConsumer(consumer, () => this.consume(), this.logger);
    await consumer.connect();
    await consumer.subscribe({
      // Not the proposals topic: actions reach the trail only inside decisions, with secrets redacted.
      topics: [config.topics.decisions, config.topics.deadLetters],
      fromBeginning: true,
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.storeBatch(payload),
    });
  }

  /** The port of /healthz, /readyz and /metrics, once listening. */
  get httpPort(): number | undefined {
    return this.httpAddress?.port;
  }

  async stop(): Promise<void> {
    this.started = false;
    clearInterval(this.retentionTimer);
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
    await this.clickhouse?.close();
    await this.http?.close();
  }

  private async storeBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { topics } = this.config;
    const contracts = this.contracts as MandateContracts;
    const caps = this.capabilities as ClickHouseCapabilities;
    const isDecisions = batch.topic === topics.decisions;
    const decisions: Array<ReturnType<typeof decisionRow>> = [];
    const deadLetterRows: Record<string, unknown>[] = [];
    const deadLetters: Message[] = [];
    const now = Date.now();

    for (const message of batch.messages) {
      const at = { partition: batch.partition, offset: message.offset };
      try {
        if (isDecisions) {
          const decision = await contracts.decision.decode(message.value);
          decisions.push(decisionRow(decision, at, caps, now));
        } else {
          const headers = Object.fromEntries(DEAD_LETTER_HEADERS.map((h) => [h, headerText(message.headers, h)]));
          deadLetterRows.push(
            deadLetterRow(headers, message.key?.toString() ?? "", message.value?.length ?? 0, at, caps),
          );
        }
      } catch (error) {
        if (!(error instanceof UndecodableMessageError)) throw error;
        deadLetters.push(
          deadLetterMessage(
            message,
            { topic: batch.topic, ...at },
            { step: "sink.decode", reason: error.reason, detail: error.message },
          ),
        );
        this.logger.warn(
          { event: "trail_message_dead_lettered", topic: batch.topic, offset: message.offset, reason: error.reason },
          error.message,
        );
      }
    }
    const lastOffset = batch.messages.at(-1)?.offset;
    if (lastOffset === undefined) return;

    const writer = this.writer as TrailWriter;
    const keepAlive = async () => {
      this.metrics.degraded.set(writer.degraded ? 1 : 0);
      await heartbeat();
    };
    const shouldContinue = () => isRunning() && !isStale();
    const chainer = this.chainer as DecisionChainer;
    const nextOffset = String(Number(lastOffset) + 1);
    const linked = isDecisions
      ? await chainer.link(batch.partition, batch.messages[0]!.offset, nextOffset, decisions)
      : undefined;
    const stored = isDecisions
      ? await writer.insert("decisions", decisions, keepAlive, shouldContinue)
      : await writer.insert("dead_letters", deadLetterRows, keepAlive, shouldContinue);
    this.metrics.degraded.set(writer.degraded ? 1 : 0);
    // NOTE: not stored means we are stopping or lost the partition; leaving the offset uncommitted re-delivers the batch.
    if (!stored) {
      chainer.forget(batch.partition);
      return;
    }
    linked?.();
    if (deadLetters.length > 0) {
      await (this.producer as Producer).send({ topic: topics.deadLetters, messages: deadLetters, acks: -1 });
    }
    await (this.consumer as Consumer).commitOffsets([
      { topic: batch.topic, partition: batch.partition, offset: nextOffset },
    ]);
    resolveOffset(lastOffset);
    await heartbeat();
    const oldest = batch.messages.reduce((min, m) => Math.min(min, Number(m.timestamp)), Date.now());
    this.metrics.flushRows.observe(isDecisions ? decisions.length : deadLetterRows.length);
    this.metrics.flushDelay.observe(Math.max(0, Date.now() - oldest) / 1000);
    this.metrics.consumerLag.set(
      { topic: batch.topic },
      Math.max(0, Number(batch.highWatermark) - 1 - Number(lastOffset)),
    );
  }
}

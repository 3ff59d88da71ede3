import type { AddressInfo } from "node:net";
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Message, Producer } from "kafkajs";
import {
  detectCapabilities,
  openClickHouse,
  type ClickHouseCapabilities,
  type ClickHouseClient,
} from "@mandate/common/clickhouse-connection";
import { type AvroCodec, UndecodableMessageError, openContracts, type MandateContracts } from "@mandate/contracts";
import { DEAD_LETTER_HEADERS, deadLetterMessage, headerText } from "@mandate/sdk/kafka/dead-letter";
import { superviseConsumer, type ConsumerState } from "@mandate/sdk/kafka/consumer-supervisor";
import { ServiceHttp } from "@mandate/common/service-http";
import { SinkMetrics } from "@mandate/common/service-metrics";
import { createKafka } from "@mandate/sdk/kafka/kafka-client";
import { createLogger, type Logger } from "@mandate/common/logger";
import { sendByPartition, topicPartitionCounts } from "@mandate/common/partition-sends";
import { prepareTopics } from "@mandate/common/topics";
import { migrateTrail } from "./trail-migrations.js";
import { applyRetention } from "./trail-retention.js";
import type { SinkConfig } from "./sink-config.js";
import { DecisionChainer, type BatchChain } from "./decision-chainer.js";
import { deadLetterRow, decisionRow, executionRow, registrationRow, type KafkaPosition } from "./trail-rows.js";
import { TrailColumns } from "@mandate/common/trail-columns";
import { InsertRows, TrailWriter, type TrailTable } from "./trail-writer.js";
import { PartitionStores, type StorePlace } from "./partition-stores.js";

type DecisionRow = ReturnType<typeof decisionRow>;
type TrailRow = Record<string, unknown>;
type RowOrLater = TrailRow | null | Promise<TrailRow>;

/** A message decoded into its row: at once when its writer schema is known, else once it is fetched. */
function decoded<T>(codec: AvroCodec<T>, bytes: Buffer | null, row: (value: T) => TrailRow): RowOrLater {
  const value = codec.decodeKnown(bytes);
  return value === undefined ? codec.decode(bytes).then(row) : row(value);
}

/**
 * Writes decisions (and through views, actions and reviews), registration versions, execution
 * outcomes and dead letters to the ClickHouse trail. For each partition batch it inserts the rows
 * first and commits the offsets only after ClickHouse has them; a crash in between re-delivers the
 * batch, and the ReplacingMergeTree keys collapse the repeated rows. A partition's next batches are
 * fetched and encoded while one is stored (see storeBatch and PartitionStores).
 */
export class SinkService {
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  /** The dead-letter topic's partition count (sendByPartition). */
  private deadLetterPartitions = 1;
  private contracts: MandateContracts | undefined;
  private capabilities: ClickHouseCapabilities | undefined;
  private writer: TrailWriter | undefined;
  /** The columns of each trail table, read once the migrations have run. */
  private columns: TrailColumns | undefined;
  private chainer: DecisionChainer | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  private clickhouse: ClickHouseClient | undefined;
  private kafka: Kafka | undefined;
  private http: ServiceHttp | undefined;
  private httpAddress: AddressInfo | undefined;
  private started = false;
  /** Not ready while the consumer is rebuilt after a crash, nor after a rebuild failed for good. */
  private consumerState: ConsumerState = "running";
  /** The batch being encoded; the next one waits for it (see storeBatch). */
  private encoding: Promise<unknown> = Promise.resolve();
  /** Per topic and partition, the stores of its batches in flight. */
  private readonly partitionStores = new Map<string, PartitionStores>();
  private stopping = false;
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
    this.writer = new TrailWriter(this.clickhouse, this.logger, config.maxRetryDelayMs);
    this.columns = await TrailColumns.read(this.clickhouse, config.database);
    this.chainer = new DecisionChainer(this.clickhouse, config.database);

    const kafka = createKafka(config, "mandate-sink", this.logger);
    await prepareTopics(kafka, config.topics, config, this.logger);
    this.contracts = await openContracts(config, config.topics);

    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
    const counts = await topicPartitionCounts(kafka, [config.topics.deadLetters]);
    this.deadLetterPartitions = counts.get(config.topics.deadLetters) as number;
    this.kafka = kafka;
    await this.consume();
    if (config.httpPort !== null) {
      this.http = new ServiceHttp(
        this.metrics.registry,
        {
          ready: () => this.started && !this.degraded && this.consumerState === "running",
        },
        this.logger,
      );
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
    const consumer = (this.kafka as Kafka).consumer({
      groupId: config.groupId,
      readUncommitted: false,
      maxBytesPerPartition: config.partitionFetchBytes,
      maxBytes: config.partitionFetchBytes * config.partitionsConcurrently,
    });
    this.consumer = consumer;
    superviseConsumer(
      consumer,
      () => this.consume(),
      this.logger,
      (state) => (this.consumerState = state),
    );
    // Chain heads and stores in flight are trusted only while this sink keeps its partitions.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.chainer?.forgetAll();
      for (const stores of this.partitionStores.values()) stores.reset();
    });
    await consumer.connect();
    await consumer.subscribe({ topics: this.subscribedTopics(), fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Batches of different partitions are stored side by side: the sink mostly waits on ClickHouse
      // and the broker, and each partition's chain and offsets are its own.
      partitionsConsumedConcurrently: config.partitionsConcurrently,
      eachBatch: (payload) => this.storeBatch(payload),
    });
  }

  /** The port of /healthz, /readyz and /metrics, once listening. */
  get httpPort(): number | undefined {
    return this.httpAddress?.port;
  }

  /** Lets the inserts under way finish and commit, then leaves the group; batches not yet stored are read again. */
  async stop(): Promise<void> {
    this.started = false;
    this.stopping = true;
    clearInterval(this.retentionTimer);
    // Nothing more is fetched while the stores end (a batch fetched now would be left unstored anyway).
    try {
      this.consumer?.pause(this.subscribedTopics().map((topic) => ({ topic })));
    } catch {
      // Not running: nothing is fetched.
    }
    await Promise.all([...this.partitionStores.values()].map((stores) => stores.settled()));
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
    await this.clickhouse?.close();
    await this.http?.close();
  }

  /** Not the proposals topic: actions reach the trail only inside decisions, with secrets redacted. */
  private subscribedTopics(): string[] {
    const { topics } = this.config;
    return [topics.decisions, topics.deadLetters, topics.registry, topics.executions];
  }

  /** The trail table each consumed topic fills. */
  private tableFor(topic: string): TrailTable {
    const { topics } = this.config;
    if (topic === topics.decisions) return "decisions";
    if (topic === topics.registry) return "agent_registrations";
    if (topic === topics.executions) return "executions";
    return "dead_letters";
  }

  /**
   * One message as its table's row; null for a message that carries no row (a compaction tombstone).
   * A promise only when the message's writer schema must first be fetched from the registry: the sink
   * decodes thousands of messages per batch, and awaiting each would cost a promise and a microtask.
   */
  private rowOf(table: TrailTable, message: KafkaMessage, at: KafkaPosition): RowOrLater {
    const contracts = this.contracts as MandateContracts;
    const now = Date.now();
    switch (table) {
      case "decisions":
        return decoded(contracts.decision, message.value, (decision) => decisionRow(decision, at, now));
      case "agent_registrations":
        if (message.value === null) return null;
        return decoded(contracts.registration, message.value, (registration) => registrationRow(registration, at, now));
      case "executions":
        return decoded(contracts.execution, message.value, (execution) => executionRow(execution, at, now));
      case "dead_letters": {
        const headers = Object.fromEntries(DEAD_LETTER_HEADERS.map((h) => [h, headerText(message.headers, h)]));
        return deadLetterRow(headers, message.key?.toString() ?? "", message.value?.length ?? 0, at);
      }
    }
  }

  /** Decodes a batch into the rows of one insert, linking decisions into their chains; what cannot be read becomes a dead letter. */
  private async encodeBatch(
    batch: EachBatchPayload["batch"],
    table: TrailTable,
    chain: BatchChain | undefined,
  ): Promise<{ rows: InsertRows; deadLetters: Message[] }> {
    const rows = new InsertRows((this.columns as TrailColumns).of(table));
    const deadLetters: Message[] = [];
    let sinceYield = 0;
    for (const message of batch.messages) {
      // Decoding awaits only promises that are already settled, which never lets the event loop run:
      // without this turn every thousand messages, the previous batch's insert would neither send its
      // body nor read its answer until this whole batch is encoded.
      if (++sinceYield === 1000) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
      const at = { partition: batch.partition, offset: message.offset };
      try {
        const rowOrLater = this.rowOf(table, message, at);
        const row = rowOrLater instanceof Promise ? await rowOrLater : rowOrLater;
        if (row === null) continue;
        // A decision's chain hash is computed by its insert, from the bytes written for it.
        if (chain) chain.link(row as DecisionRow, (linked) => rows.add(linked) as string);
        else rows.add(row);
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
    return { rows, deadLetters };
  }

  /** The stores of a partition's batches, created at its first batch. */
  private storesOf(topic: string, partition: number): PartitionStores {
    const key = `${topic}|${partition}`;
    let stores = this.partitionStores.get(key);
    if (!stores) {
      stores = new PartitionStores();
      this.partitionStores.set(key, stores);
    }
    return stores;
  }

  /**
   * Stores one partition batch: links and encodes it, then enqueues its insert and commit among the
   * partition's stores (see PartitionStores) and returns, so that kafkajs fetches the next batches
   * while ClickHouse stores this one. It returns once the partition's previous store has ended,
   * which keeps at most two batches of a partition in memory.
   */
  private async storeBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const table = this.tableFor(batch.topic);
    const firstOffset = batch.messages[0]?.offset;
    const lastOffset = batch.messages.at(-1)?.offset;
    if (firstOffset === undefined || lastOffset === undefined) return;

    const place = this.storesOf(batch.topic, batch.partition).next();
    // False once the partition was rewound or reassigned, or the sink is stopping: the batch is left
    // uncommitted, to be read again by whoever owns the partition.
    const current = () => isRunning() && !isStale() && !this.stopping && place.current();
    if (!current()) return;

    const writer = this.writer as TrailWriter;
    const keepAlive = async () => {
      this.metrics.degraded.set(writer.degraded ? 1 : 0);
      await heartbeat();
    };
    const chainer = this.chainer as DecisionChainer;
    // Decisions are linked into their agents' chains as they are decoded, from the partition's heads.
    let chain: BatchChain | undefined;
    if (table === "decisions") {
      if (chainer.needsHeads(batch.partition, firstOffset)) {
        // The heads are read from the stored rows, so the partition's previous batch must be stored first.
        await place.previousEnded();
        const loaded = await writer.untilDone(
          { event: "trail_chain_heads_failed", partition: batch.partition },
          () => chainer.loadHeads(batch.partition, firstOffset),
          keepAlive,
          current,
        );
        if (loaded === undefined || !current()) return;
      }
      chain = chainer.batch(batch.partition);
    }

    // Batches are encoded one after another, not interleaved message by message: each batch's insert
    // then starts as soon as its own rows are ready, and ClickHouse stores it while the next is encoded.
    const encoded = this.encoding.then(() => this.encodeBatch(batch, table, chain));
    this.encoding = encoded.catch(() => undefined);
    const { rows, deadLetters } = await encoded;
    if (!current()) return;

    chain?.advance(lastOffset);
    resolveOffset(lastOffset);
    const consumer = this.consumer as Consumer;
    const store = async () => {
      // A store still waiting when the sink began to stop is not started: only inserts under way finish.
      if (!current()) return false;
      try {
        return await this.storeEncoded(batch, table, { rows, deadLetters }, { keepAlive, current, consumer, place });
      } catch (error) {
        this.logger.error(
          {
            event: "trail_store_failed",
            topic: batch.topic,
            partition: batch.partition,
            offset: firstOffset,
            err: error,
          },
          "could not store a batch; reading the partition again from it",
        );
        return false;
      }
    };
    const rewind = () => {
      if (table === "decisions") chainer.forget(batch.partition);
      // Stopping, or the partition is no longer ours: its next owner reads from the committed offset.
      if (this.stopping || !isRunning() || isStale()) return;
      consumer.seek({ topic: batch.topic, partition: batch.partition, offset: firstOffset });
    };
    void place.enqueue(store, rewind);
    await place.previousEnded();
  }

  /** Inserts an encoded batch, dead-letters what it could not read, and commits its offsets; true once committed. */
  private async storeEncoded(
    batch: EachBatchPayload["batch"],
    table: TrailTable,
    { rows, deadLetters }: { rows: InsertRows; deadLetters: Message[] },
    context: { keepAlive: () => Promise<void>; current: () => boolean; consumer: Consumer; place: StorePlace },
  ): Promise<boolean> {
    const writer = this.writer as TrailWriter;
    const stored = await writer.insert(table, rows, context.keepAlive, context.current);
    this.metrics.degraded.set(writer.degraded ? 1 : 0);
    if (!stored) return false;
    if (deadLetters.length > 0) {
      await sendByPartition(
        this.producer as Producer,
        this.config.topics.deadLetters,
        deadLetters,
        this.deadLetterPartitions,
      );
      for (const letter of deadLetters) {
        this.metrics.deadLetters.inc({
          step: "sink.decode",
          reason: headerText(letter.headers, "reason") ?? "unknown",
        });
      }
    }
    // Stored but no longer ours after a rebalance: committing could move another sink's offsets back.
    if (!context.place.current()) return false;
    const lastOffset = batch.messages.at(-1)?.offset as string;
    await context.consumer.commitOffsets([
      { topic: batch.topic, partition: batch.partition, offset: String(Number(lastOffset) + 1) },
    ]);
    const oldest = batch.messages.reduce((min, m) => Math.min(min, Number(m.timestamp)), Date.now());
    this.metrics.flushRows.observe(rows.count);
    this.metrics.flushDelay.observe(Math.max(0, Date.now() - oldest) / 1000);
    this.metrics.consumerLag.set(
      { topic: batch.topic },
      Math.max(0, Number(batch.highWatermark) - 1 - Number(lastOffset)),
    );
    return true;
  }
}

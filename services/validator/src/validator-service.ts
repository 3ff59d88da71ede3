import type { AddressInfo } from "node:net";
import crypto from "node:crypto";
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Message } from "kafkajs";
import {
  type ProposedAction,
  type DecisionRecord,
  type Reason,
  openContracts,
  type MandateContracts,
} from "@mandate/contracts";
import { deadLetterMessage, type DeadLetterCause } from "@mandate/sdk/kafka/dead-letter";
import { superviseConsumer, type ConsumerState } from "@mandate/sdk/kafka/consumer-supervisor";
import { ServiceHttp } from "@mandate/common/service-http";
import { ValidatorMetrics } from "@mandate/common/service-metrics";
import { createKafka } from "@mandate/sdk/kafka/kafka-client";
import { createLogger, type Logger } from "@mandate/common/logger";
import { TopicFollower } from "@mandate/sdk/kafka/topic-follower";
import { prepareTopics } from "@mandate/common/topics";
import { observationDeadLetter, takeInRecord, type IntakeResult } from "./action-intake.js";
import { AgentDirectory } from "@mandate/sdk/kafka/agent-directory";
import type { ActionDecision, DecisionEngine } from "./decision-engine.js";
import { MandateDecisionEngine } from "./mandate-decision-engine.js";
import { redactSecrets, redactSecretsInText } from "./payload-safety/index.js";
import { PolicyDirectory } from "./policy-directory.js";
import { groupTimings, type ValidatorConfig } from "./validator-config.js";
import { VerdictSigner } from "@mandate/common/verdict-signer";
import { sendInTransaction, topicPartitionCounts } from "@mandate/common/partition-sends";
import { SharedAdmin } from "@mandate/sdk/kafka/shared-admin";
import { PartitionProducers } from "./validator-state/partition-producers.js";
import { StateChangelog } from "./validator-state/state-changelog.js";

/** What a committed batch counts in the metrics. */
/** A batch decided, before its transaction: what it sends and what it counts once committed. */
interface DecidedBatch {
  decisions: Message[];
  deadLetters: Message[];
  state: Message[];
  verdicts: string[];
  deadLetterCauses: DeadLetterCause[];
  observationsTaken: number;
}

/**
 * One action partition's actions fetched and not yet decided, in offset order, and the loop deciding
 * them (decideLane). Dropped whole when the partitions are prepared again.
 */
interface PartitionLane {
  partition: number;
  queued: QueuedAction[];
  /** The offset after the last one queued: where the partition's next batch must start. */
  nextOffset: number | undefined;
  highWatermark: string;
  deciding: Promise<void> | undefined;
  /** queueBatch calls waiting for the lane to take its queue (at most MAX_LANE_ACTIONS held). */
  onTaken: Array<() => void>;
}

/** A fetched action in its lane, and when kafkajs handed it over (performance.now()). */
interface QueuedAction {
  message: KafkaMessage;
  handedOverAt: number;
}

/**
 * Actions a lane holds before queueBatch waits (about 1 MiB of fetched actions at their usual size),
 * and the most one transaction decides.
 */
const MAX_LANE_ACTIONS = 2000;

/** How often the consumer group gets a copy of the offsets the changelog committed (commitGroupOffsets). */
const GROUP_OFFSETS_INTERVAL_MS = 1000;

interface CommittedBatch {
  lastOffset: string;
  /** performance.now() when each action was handed over, its batch began, began sending, sent, committed. */
  timings: { handedOver: number[]; began: number; sending: number; sent: number; committed: number };
  verdicts: string[];
  deadLetterCauses: DeadLetterCause[];
  observationsTaken: number;
  decisions: number;
}

/**
 * Consumes proposed actions, decides each, and publishes the decision record — all inside one Kafka
 * transaction per partition batch (what the partition's lane queued since its last commit), together
 * with the state of the agents the batch touched and the partition's next offset to decide (both on the
 * validator-state changelog). A crash before the commit aborts the decisions with the state and the
 * offset, so the batch is decided again; after it, all three are durable. Each action therefore gets
 * exactly one committed decision, and the engine's state counts it once. The consumer group gets a copy
 * of the offsets every second, for lag tools (commitGroupOffsets).
 *
 * Before it decides anything of a newly assigned partition (at start, after a rebalance, after a
 * consumer rebuild), the validator fences the partition's previous owner (PartitionProducers), restores
 * the partition's agents and next offset from the changelog (StateChangelog) and has kafkajs fetch from
 * that offset; /readyz answers 503 meanwhile.
 */
export class ValidatorService {
  private kafka: Kafka | undefined;
  /** The group's offsets at each preparation, log starts on a gap: one admin client for the service's life. */
  private admin: SharedAdmin | undefined;
  private consumer: Consumer | undefined;
  private producers: PartitionProducers | undefined;
  private changelog: StateChangelog | undefined;
  /** The partition count of each topic a batch's transaction writes to (sendInTransaction). */
  private partitionCounts = new Map<string, number>();
  /** The action partitions of the latest group generation this consumer joined. */
  private assignment = { generation: 0, partitions: [] as number[] };
  /** The generation whose partitions are fenced and restored; batches wait until it is the latest. */
  private preparedGeneration = -1;
  private preparing: Promise<void> | undefined;
  /** Batches being decided (one per partition; a crashed consumer's may still be finishing): a new generation's preparation waits for them before touching state. */
  private readonly batchesInFlight = new Set<Promise<unknown>>();
  /** Action partition → its lane of fetched actions not yet decided (queueBatch, decideLane). */
  private readonly lanes = new Map<number, PartitionLane>();
  /** How many lanes decide at once: `partitionsConcurrently`. */
  private readonly decidingSlots: Slots;
  /** Failed batches since the last one committed: the backoff before preparing again. */
  private laneFailures = 0;
  private stopping = false;
  /**
   * Action partition → first offset not yet decided by a committed transaction: read after fencing, then
   * moved on by each commit. Offsets below it are decided already; a batch that starts above it skipped
   * actions, and is not decided (see decideAndCommit).
   */
  private readonly committedFrom = new Map<number, number>();
  /**
   * Action partition → its next offset, committed (with the changelog) since the consumer group last had
   * it. The group's offsets are an advisory copy for lag tools and for where kafkajs starts fetching,
   * written every GROUP_OFFSETS_INTERVAL_MS outside the transactions (commitGroupOffsets).
   */
  private readonly groupOffsets = new Map<number, number>();
  private groupOffsetsTimer: NodeJS.Timeout | undefined;
  private committingGroupOffsets: Promise<void> | undefined;
  /** Agent → the action partition its state was last written to or restored from. */
  private readonly agentPartitions = new Map<string, number>();
  private directory: AgentDirectory | undefined;
  private policies: PolicyDirectory | undefined;
  private reviewedApprovals: TopicFollower<DecisionRecord> | undefined;
  /** Reviewed approvals already handed to the engine, oldest first; bounded (see followReviewedApprovals). */
  private readonly approvalsSeen = new Set<string>();
  private approvalsSince = 0;
  private contracts: MandateContracts | undefined;
  private readonly verdictSigner: VerdictSigner;
  private readonly redactionKey: Buffer;
  readonly logger: Logger;
  readonly metrics: ValidatorMetrics;
  private http: ServiceHttp | undefined;
  private httpAddress: AddressInfo | undefined;
  private started = false;
  /** Not ready while the consumer is rebuilt after a crash, nor after a rebuild failed for good. */
  private consumerState: ConsumerState = "running";

  constructor(
    private readonly config: ValidatorConfig,
    private readonly engine: DecisionEngine = new MandateDecisionEngine({
      identity: {
        clockSkewMs: config.identityClockSkewSeconds * 1000,
        replayWindowMaxPerAgent: config.replayWindowMaxPerAgent,
      },
      policyEvaluation: config.policyEvaluation,
    }),
  ) {
    this.metrics = new ValidatorMetrics(() => this.engine.sessionStats());
    this.decidingSlots = new Slots(config.partitionsConcurrently);
    this.logger = createLogger("validator", config.logLevel).child({ validator_id: config.validatorId });
    this.verdictSigner = VerdictSigner.create(config);
    if (config.redactionKeyHex) {
      this.redactionKey = Buffer.from(config.redactionKeyHex, "hex");
    } else {
      this.redactionKey = crypto.randomBytes(32);
      this.logger.warn(
        { event: "redaction_key_generated" },
        "MANDATE_REDACTION_KEY is unset: redaction fingerprints use a key generated for this process only",
      );
    }
  }

  async start(): Promise<void> {
    const { config } = this;
    const kafka = createKafka(config, `mandate-validator-${config.validatorId}`, this.logger);
    await prepareTopics(kafka, config.topics, config, this.logger);

    this.contracts = await openContracts(config, config.topics);
    this.directory = new AgentDirectory(kafka, config.topics.registry, this.contracts.registration, this.logger);
    this.policies = new PolicyDirectory(
      kafka,
      config.topics.policies,
      this.contracts.policySet,
      this.engine,
      this.logger,
    );
    await Promise.all([this.directory.start(), this.policies.start(), this.followReviewedApprovals(kafka)]);

    // Before the first decision: an executor can only trust a decision whose signer it knows.
    await this.verdictSigner.publishKey(
      kafka,
      config.topics.validatorKeys,
      this.contracts.validatorKey,
      config.validatorId,
      "MANDATE_VALIDATOR_SIGNING_KEY",
      this.logger,
    );
    await this.consume(kafka);
    this.groupOffsetsTimer = setInterval(() => this.commitGroupOffsets(), GROUP_OFFSETS_INTERVAL_MS);
    if (config.httpPort !== null) {
      this.http = new ServiceHttp(
        this.metrics.registry,
        {
          ready: () =>
            this.started && this.consumerState === "running" && this.preparedGeneration === this.assignment.generation,
        },
        this.logger,
      );
      this.httpAddress = await this.http.listen(config.httpPort);
    }
    this.started = true;
    this.logger.info({ event: "validator_started", group_id: config.groupId }, "validator started");
  }

  /**
   * A fresh transactional producer and consumer. Called at start and to rebuild both after a crash
   * kafkajs does not restart itself (a broker gone past its retries, a producer stuck in a failed
   * transaction). Re-initialising the transactional id aborts whatever the old producer left open,
   * and the consumer resumes from the offsets committed with the last committed decisions.
   */
  private async consume(kafka: Kafka): Promise<void> {
    const { config } = this;
    this.kafka = kafka;
    this.admin ??= new SharedAdmin(kafka);
    await this.consumer?.disconnect().catch(() => undefined);
    await this.producers?.close();
    this.changelog = new StateChangelog(kafka, config.topics.validatorState, this.logger);
    this.partitionCounts = await topicPartitionCounts(kafka, [
      config.topics.decisions,
      config.topics.deadLetters,
      config.topics.validatorState,
    ]);
    this.producers = new PartitionProducers(kafka, `mandate-validator-${config.groupId}-${config.topics.actions}`, {
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: config.transactionTimeoutMs,
      // NOTE: the coordinator answers CONCURRENT_TRANSACTIONS while it writes the previous commit's
      // markers, typically for a few milliseconds, and a lane that has more queued begins its next
      // transaction at once: kafkajs's default 100 ms first retry would add that to most batches. Retries
      // are not limited, as kafkajs does for an idempotent producer given no retry settings (a client-wide
      // count would apply otherwise: 5, about 60 ms from a 2 ms start); a transaction that cannot go on
      // fails anyway, once the coordinator aborts it after transactionTimeoutMs.
      retry: { initialRetryTime: 2, maxRetryTime: 1000, retries: Number.MAX_SAFE_INTEGER },
    });
    const consumer = kafka.consumer({
      groupId: config.groupId,
      readUncommitted: false,
      sessionTimeout: config.sessionTimeoutMs,
      ...groupTimings(config.sessionTimeoutMs),
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      if (this.consumer !== consumer) return;
      this.metrics.groupJoins.inc();
      this.assignment = {
        generation: this.assignment.generation + 1,
        partitions: payload.memberAssignment[config.topics.actions] ?? [],
      };
      // At once, not only with the first batch: a validator whose partitions are idle must become ready
      // too. A failure is retried by the next batch, which waits for the preparation either way.
      this.prepareAssignment().catch((error: unknown) =>
        this.logger.error({ event: "partitions_prepare_failed", err: error }, "fencing or restore failed"),
      );
    });
    superviseConsumer(
      consumer,
      () => this.consume(kafka),
      this.logger,
      (state) => (this.consumerState = state),
    );
    await consumer.connect();
    await consumer.subscribe({ topic: config.topics.actions, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: config.partitionsConcurrently,
      eachBatch: (payload) => this.queueBatch(payload),
    });
  }

  /** The registration version this instance decides with, if it knows the agent. */
  registrationVersion(agentId: string): number | undefined {
    return this.directory?.get(agentId)?.version;
  }

  /** The port of /healthz, /readyz and /metrics, once listening. */
  get httpPort(): number | undefined {
    return this.httpAddress?.port;
  }

  /**
   * Stops fetching and deciding, lets the transactions in flight end, then disconnects. What the lanes
   * held undecided is not committed, so the partitions' next owner reads it again.
   */
  async stop(): Promise<void> {
    this.started = false;
    this.stopping = true;
    clearInterval(this.groupOffsetsTimer);
    this.dropLanes();
    await this.committingGroupOffsets;
    await this.consumer?.disconnect();
    while (this.batchesInFlight.size > 0) await Promise.allSettled([...this.batchesInFlight]);
    await this.preparing?.catch(() => undefined);
    await this.producers?.close();
    await this.admin?.close();
    await this.directory?.stop();
    await this.policies?.stop();
    await this.reviewedApprovals?.stop();
    await this.http?.close();
  }

  /**
   * A reviewer's approval of a flagged action (the review service's record superseding the flag)
   * enters the agent's baseline like an approval would have. NOTE: followed from this instance's
   * start on, like the rest of the in-memory behaviour it feeds; the follower reads its window again
   * after a consumer crash, so approvals are remembered by decision id and each is handed over once.
   * The window restarts a minute before the latest approval handled, which the remembered ids cover.
   */
  private async followReviewedApprovals(kafka: Kafka): Promise<void> {
    const contracts = this.contracts as MandateContracts;
    this.approvalsSince = Date.now();
    this.reviewedApprovals = new TopicFollower(
      kafka,
      this.config.topics.decisions,
      contracts.decision,
      (record) => {
        if (record.supersedes === null || record.reviewer === null || record.verdict !== "approved") return;
        if (this.approvalsSeen.has(record.decision_id)) return;
        this.approvalsSeen.add(record.decision_id);
        if (this.approvalsSeen.size > 10_000) {
          this.approvalsSeen.delete(this.approvalsSeen.values().next().value as string);
        }
        this.approvalsSince = Math.max(this.approvalsSince, record.decided_at - 60_000);
        this.engine.recordReviewedApproval(record.action, Date.now());
      },
      this.logger,
      "decision record",
    );
    await this.reviewedApprovals.start(() => this.approvalsSince);
  }

  /**
   * Takes a fetched batch into its partition's lane and returns, so that kafkajs fetches on while the
   * lane decides and commits: kafkajs fetches again only once every batch of a fetch is handled, and a
   * transaction's commit (several round trips) would otherwise hold up the actions of every partition
   * fetched with it. The offsets are resolved for kafkajs's fetching only; what counts is the offset
   * each lane's transaction commits. Waits while the lane holds MAX_LANE_ACTIONS already.
   */
  private async queueBatch({ batch, resolveOffset, isRunning, isStale, heartbeat }: EachBatchPayload): Promise<void> {
    // kafkajs heartbeats only between batches: a long restore must not cost this consumer its partitions.
    const beat = setInterval(() => void heartbeat().catch(() => undefined), 1000);
    try {
      await this.prepareAssignment();
      const lane = this.laneOf(batch.partition);
      lane.highWatermark = batch.highWatermark;
      const handedOverAt = performance.now();
      for (const message of batch.messages) {
        if (this.stopping || !isRunning() || isStale() || this.lanes.get(batch.partition) !== lane) break;
        const offset = Number(message.offset);
        const expected = lane.nextOffset ?? this.committedFrom.get(batch.partition) ?? -1;
        // Queued or decided already: fetched again after a rejoin, or decided by the partition's previous owner.
        if (offset < expected) {
          resolveOffset(message.offset);
          continue;
        }
        if (expected >= 0 && offset > expected) {
          const undecidedFrom = await this.firstKept(batch.partition, expected);
          if (this.lanes.get(batch.partition) !== lane) break;
          if (undecidedFrom < offset) {
            // The actions between were never decided: deciding this one and committing its offset would
            // lose them for good. (Seen when kafkajs fetched ahead while a broker failed.)
            this.logger.warn(
              { event: "action_gap", partition: batch.partition, expected: undecidedFrom, offset },
              "batch starts past actions not yet decided; reading the partition again from the first of them",
            );
            (this.consumer as Consumer).seek({
              topic: batch.topic,
              partition: batch.partition,
              offset: String(undecidedFrom),
            });
            break;
          }
        }
        lane.queued.push({ message, handedOverAt });
        lane.nextOffset = offset + 1;
        resolveOffset(message.offset);
      }
      lane.deciding ??= this.decideLane(lane).finally(() => (lane.deciding = undefined));
      while (lane.queued.length >= MAX_LANE_ACTIONS && this.lanes.get(batch.partition) === lane) {
        await new Promise<void>((resolve) => lane.onTaken.push(resolve));
      }
    } finally {
      clearInterval(beat);
    }
  }

  /**
   * Gives the consumer group the offsets committed since its last copy, outside any transaction. Only
   * lag tools and kafkajs's first fetch read them: a failed copy is tried again with the next, and a copy
   * behind the changelog costs a re-read that queueBatch passes over.
   */
  private commitGroupOffsets(): void {
    const consumer = this.consumer;
    if (consumer === undefined || this.committingGroupOffsets !== undefined || this.groupOffsets.size === 0) return;
    const copied = new Map(this.groupOffsets);
    this.groupOffsets.clear();
    const topic = this.config.topics.actions;
    this.committingGroupOffsets = consumer
      .commitOffsets([...copied].map(([partition, next]) => ({ topic, partition, offset: String(next) })))
      .catch((error: unknown) => {
        for (const [partition, next] of copied)
          if (!this.groupOffsets.has(partition)) this.groupOffsets.set(partition, next);
        this.logger.debug({ event: "group_offsets_not_copied", err: error }, "copying offsets to the group failed");
      })
      .finally(() => (this.committingGroupOffsets = undefined));
  }

  /** Empties and forgets every lane, waking queueBatch calls that wait on one; returns the lanes dropped. */
  private dropLanes(): PartitionLane[] {
    const lanes = [...this.lanes.values()];
    this.lanes.clear();
    for (const lane of lanes) {
      lane.queued.length = 0;
      for (const resolve of lane.onTaken.splice(0)) resolve();
    }
    return lanes;
  }

  private laneOf(partition: number): PartitionLane {
    let lane = this.lanes.get(partition);
    if (lane === undefined) {
      lane = { partition, queued: [], nextOffset: undefined, highWatermark: "0", deciding: undefined, onTaken: [] };
      this.lanes.set(partition, lane);
    }
    return lane;
  }

  /**
   * Decides a lane's queued actions, everything queued at once in one transaction, until none is left.
   * At most `partitionsConcurrently` lanes decide at once. A failure drops every lane and prepares the
   * partitions again, which reads the committed offsets back and has kafkajs fetch from them (prepare).
   */
  private async decideLane(lane: PartitionLane): Promise<void> {
    while (!this.stopping && lane.queued.length > 0 && this.lanes.get(lane.partition) === lane) {
      await this.prepareAssignment();
      let failure: { error: unknown; actions: number } | undefined;
      await this.decidingSlots.acquire();
      try {
        // Prepared again meanwhile (a new generation, a failed commit): the lane is gone or still valid.
        if (
          this.stopping ||
          this.lanes.get(lane.partition) !== lane ||
          this.preparedGeneration !== this.assignment.generation
        ) {
          continue;
        }
        const actions = lane.queued.splice(0, MAX_LANE_ACTIONS);
        for (const resolve of lane.onTaken.splice(0)) resolve();
        const deciding = this.decideAndCommit(lane.partition, actions);
        this.batchesInFlight.add(deciding);
        try {
          const committed = await deciding;
          this.laneFailures = 0;
          if (committed !== undefined) this.countCommitted(lane, committed);
        } catch (error) {
          failure = { error, actions: actions.length };
        } finally {
          this.batchesInFlight.delete(deciding);
        }
      } finally {
        this.decidingSlots.release();
      }
      if (failure !== undefined) {
        this.logger.error(
          { event: "batch_failed", partition: lane.partition, actions: failure.actions, err: failure.error },
          "deciding or committing a batch failed; preparing the partitions again and reading from the committed offsets",
        );
        // NOTE: after the batch left batchesInFlight and its slot: the preparation waits for the one and
        // the other lanes for the other.
        await this.recoverFromFailure();
        return;
      }
    }
  }

  /** After a failed batch: prepares the partitions again, with backoff, until that succeeds or the service stops. */
  private async recoverFromFailure(): Promise<void> {
    this.preparedGeneration = -1;
    for (let attempt = 0; !this.stopping; attempt += 1) {
      const delay = Math.min(5000, 100 * 2 ** Math.min(this.laneFailures, 6));
      this.laneFailures += 1;
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (this.stopping) return;
      try {
        await this.prepareAssignment();
        return;
      } catch (error) {
        this.logger.error({ event: "partitions_prepare_failed", attempt, err: error }, "fencing or restore failed");
      }
    }
  }

  /**
   * Fences the partitions of a new group generation, restores their agents' state and reads their
   * committed offsets, once per generation and before the first batch of it is decided. NOTE: in this
   * order. After the fence no previous owner can commit, so the changelog and the offsets read next are
   * final; without re-reading the offsets, a batch the previous owner committed between this consumer's
   * join and the fence would be decided twice.
   */
  private async prepareAssignment(): Promise<void> {
    while (this.preparedGeneration !== this.assignment.generation) {
      this.preparing ??= this.prepare(this.assignment).finally(() => (this.preparing = undefined));
      await this.preparing;
    }
  }

  private async prepare({ generation, partitions }: { generation: number; partitions: number[] }): Promise<void> {
    const { config } = this;
    // NOTE: a batch may still be deciding (kafkajs rejoined meanwhile, or another lane failed); its commit
    // or abort must not land on the state restored below (an abort puts back what it saw before the batch).
    while (this.batchesInFlight.size > 0) await Promise.allSettled([...this.batchesInFlight]);
    // What the lanes hold is dropped and fetched again from the committed offsets (below): kafkajs's own
    // position is past it, and part of it may have been decided by another owner meanwhile.
    const lanes = this.dropLanes();
    await (this.producers as PartitionProducers).claim(partitions);
    // Everything is forgotten and read again from the changelog: a partition held before may have been
    // another validator's meanwhile (this one paused past its session timeout without noticing).
    for (const agentId of this.agentPartitions.keys()) this.engine.forgetAgent(agentId);
    this.agentPartitions.clear();
    const { nextOffsets } = await (this.changelog as StateChangelog).restore(
      partitions,
      this.engine,
      (agentId, partition) => this.agentPartitions.set(agentId, partition),
    );
    // The group's offsets: what validators committed there in their transactions before the changelog
    // carried the offsets, and since then the advisory copy (commitGroupOffsets), never ahead of the
    // changelog. So the later of the two is where the committed decisions end.
    const [offsets] = await (this.admin as SharedAdmin).use((admin) =>
      admin.fetchOffsets({ groupId: config.groupId, topics: [config.topics.actions] }),
    );
    this.committedFrom.clear();
    this.groupOffsets.clear();
    for (const { partition, offset } of offsets?.partitions ?? []) this.committedFrom.set(partition, Number(offset));
    for (const [partition, next] of Object.entries(nextOffsets)) {
      this.committedFrom.set(Number(partition), Math.max(next, this.committedFrom.get(Number(partition)) ?? -1));
    }
    // kafkajs fetches from the group's offsets, which may be behind: every partition is read from where
    // its committed decisions end. A lane's partition with nothing committed is read from its first kept action.
    const fetched = new Set(lanes.filter((l) => l.nextOffset !== undefined).map((l) => l.partition));
    for (const partition of partitions) {
      const committed = this.committedFrom.get(partition) ?? -1;
      if (committed < 0 && !fetched.has(partition)) continue;
      const from = committed >= 0 ? committed : await this.firstKept(partition, 0);
      try {
        this.consumer?.seek({ topic: config.topics.actions, partition, offset: String(from) });
      } catch (error) {
        // A consumer rebuilt after a crash (consume) and not yet running: it fetches from the group's
        // offsets, and queueBatch passes over what is decided already.
        this.logger.debug({ event: "seek_skipped", partition, err: error }, "consumer not running");
      }
    }
    this.preparedGeneration = generation;
    this.logger.info(
      { event: "partitions_prepared", generation, partitions },
      "partitions fenced, state restored, committed offsets read",
    );
  }

  /**
   * The first offset of `partition` at or after `from` still in the log (retention may have deleted the
   * ones before). One offsets request; asked only when a batch starts past the offset expected next.
   */
  private async firstKept(partition: number, from: number): Promise<number> {
    const offsets = await (this.admin as SharedAdmin).use((admin) =>
      admin.fetchTopicOffsets(this.config.topics.actions),
    );
    return Math.max(from, Number(offsets.find((o) => o.partition === partition)?.low ?? 0));
  }

  private countCommitted(lane: PartitionLane, committed: CommittedBatch): void {
    const { lastOffset, verdicts, deadLetterCauses, observationsTaken } = committed;
    // Counted once committed: an aborted batch is decided again and must not count twice.
    for (const verdict of verdicts) this.metrics.decisions.inc({ verdict });
    const { handedOver, began, sending, sent, committed: end } = committed.timings;
    for (const at of handedOver) {
      this.metrics.steps.observe({ step: "waited" }, (began - at) / 1000);
      this.metrics.steps.observe({ step: "decided" }, (sending - began) / 1000);
      this.metrics.steps.observe({ step: "sent" }, (sent - sending) / 1000);
      this.metrics.steps.observe({ step: "committed" }, (end - sent) / 1000);
    }
    for (const { step, reason } of deadLetterCauses) this.metrics.deadLetters.inc({ step, reason });
    this.metrics.observationsTaken.inc(observationsTaken);
    this.metrics.consumerLag.set(
      { topic: this.config.topics.actions },
      Math.max(0, Number(lane.highWatermark) - 1 - Number(lastOffset)),
    );
    this.logger.debug(
      {
        event: "decisions_published",
        count: committed.decisions,
        observations: observationsTaken,
        partition: lane.partition,
      },
      "batch decided",
    );
  }

  /**
   * Reads the actions (decoding may wait on the registry), then decides them without awaiting anything,
   * so the engine journals exactly this batch's changes while batches of other partitions await their
   * transactions, then commits decisions, dead letters, state and the next offset in one transaction. The
   * journal is kept when the transaction commits and undone when it fails.
   */
  private async decideAndCommit(partition: number, actions: QueuedAction[]): Promise<CommittedBatch | undefined> {
    const { config } = this;
    const began = performance.now();
    const contracts = this.contracts as MandateContracts;
    const committedFrom = this.committedFrom.get(partition) ?? -1;
    const taken: Array<QueuedAction & { intake: IntakeResult }> = [];
    for (const { message, handedOverAt } of actions) {
      // Decided in a committed transaction already (the lane was filled before the offsets were read).
      if (Number(message.offset) < committedFrom) continue;
      taken.push({ message, handedOverAt, intake: await takeInRecord(message, contracts, config) });
    }
    const lastOffset = taken.at(-1)?.message.offset;
    if (lastOffset === undefined) return undefined;
    const next = Number(lastOffset) + 1;

    // NOTE: nothing is awaited from beginBatch to endBatch: the journal is this batch's alone.
    const engineBatch = this.engine.beginBatch?.();
    let decided: DecidedBatch;
    try {
      decided = this.decideTaken(partition, taken);
    } catch (error) {
      this.engine.endBatch?.();
      if (engineBatch) this.engine.abortBatch?.(engineBatch);
      throw error;
    }
    this.engine.endBatch?.();

    const timings = { handedOver: taken.map((t) => t.handedOverAt), began, sending: 0, sent: 0, committed: 0 };
    const transaction = await (this.producers as PartitionProducers).of(partition).transaction();
    try {
      // The partition's next offset goes with the state, not to the consumer group (see StateChangelog).
      const state = [...decided.state, (this.changelog as StateChangelog).offsetRecord(partition, next)];
      timings.sending = performance.now();
      await sendInTransaction(
        transaction,
        (
          [
            [config.topics.decisions, decided.decisions],
            [config.topics.deadLetters, decided.deadLetters],
            [config.topics.validatorState, state],
          ] as const
        ).flatMap(([topic, messages]) =>
          messages.length === 0 ? [] : [{ topic, messages, partitions: this.partitionCounts.get(topic) as number }],
        ),
      );
      timings.sent = performance.now();
      await transaction.commit();
      timings.committed = performance.now();
      this.committedFrom.set(partition, next);
      this.groupOffsets.set(partition, next);
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      // NOTE: the batch is fetched and decided again, so nothing it did to the engine's state (replay
      // window, rate, baseline, sessions) may count, or it would count twice — each action rejected as
      // its own replay. (After a commit that succeeded but reported an error, the state restored below
      // comes from the changelog, which that commit wrote.)
      if (engineBatch) this.engine.abortBatch?.(engineBatch);
      // NOTE: a commit that failed may still have committed (its request timed out while a broker died,
      // say). So the partitions are prepared again before anything else is decided (decideLane): claiming
      // them waits for this transaction to end either way, then the state and the committed offsets are
      // read back, and kafkajs fetches from those offsets, past what did commit.
      this.preparedGeneration = -1;
      throw error;
    }
    // Before anything else can fail: from here on the batch is committed, decisions, offsets and state.
    if (engineBatch) this.engine.commitBatch?.(engineBatch);
    return {
      lastOffset,
      verdicts: decided.verdicts,
      deadLetterCauses: decided.deadLetterCauses,
      observationsTaken: decided.observationsTaken,
      decisions: decided.decisions.length,
      timings,
    };
  }

  /** The batch's records, read, decided in offset order (synchronously: see decideAndCommit). */
  private decideTaken(partition: number, taken: Array<{ message: KafkaMessage; intake: IntakeResult }>): DecidedBatch {
    const { config } = this;
    const decided: DecidedBatch = {
      decisions: [],
      deadLetters: [],
      state: [],
      verdicts: [],
      deadLetterCauses: [],
      observationsTaken: 0,
    };
    /** The agents the batch may have changed: their changelog records go in its transaction. */
    const agents = new Set<string>();
    for (const { message, intake: read } of taken) {
      let intake = read;
      const now = Date.now();
      if (intake.kind === "observation") agents.add(intake.observation.agent_id);
      if (intake.kind === "action") agents.add(intake.action.agent_id);
      if (intake.kind === "observation") {
        // NOTE: taken in offset order with the actions around it, so the next action of the same
        // agent on this partition is decided knowing it. It produces no decision record; one the
        // engine refuses is dead-lettered like any other unusable record.
        const { observation } = intake;
        const receipt = this.engine.observeSession(observation, this.directory?.get(observation.agent_id), now);
        if (receipt.taken) decided.observationsTaken += 1;
        else intake = observationDeadLetter(receipt.code, receipt.reason);
      }
      if (intake.kind === "action") {
        const registration = this.directory?.get(intake.action.agent_id);
        const started = performance.now();
        const decision = this.engine.decideAction(intake.action, registration, now);
        this.metrics.decisionDuration.observe((performance.now() - started) / 1000);
        const published = this.decisionMessage(intake.action, decision, registration?.version ?? null, now);
        if ((published.value as Buffer).length <= config.maxDecisionBytes) {
          decided.verdicts.push(decision.verdict);
          decided.decisions.push(published);
        } else {
          // Sent as is, the broker would refuse the whole transaction, and the batch would be fetched,
          // decided and refused again for ever: the partition would stop here.
          const size = (published.value as Buffer).length;
          intake = {
            kind: "dead_letter",
            cause: {
              step: "validator.publish",
              reason: "decision_too_large",
              detail: `its decision record is ${size} bytes; the limit is ${config.maxDecisionBytes}`,
            },
            identified: { actionId: intake.action.action_id, agentId: intake.action.agent_id },
          };
        }
      }
      if (intake.kind === "dead_letter") {
        const source = { topic: config.topics.actions, partition, offset: message.offset };
        decided.deadLetters.push(deadLetterMessage(message, source, intake.cause, now));
        decided.deadLetterCauses.push(intake.cause);
        if (intake.identified) {
          const action = unreadableAction(
            intake.identified.actionId,
            intake.identified.agentId,
            Number(message.timestamp),
          );
          const reason: Reason = {
            axis: "intake",
            code: `intake.${intake.cause.reason}`,
            message: `The action could not be read (${intake.cause.reason}); it is rejected unread.`,
            severity: "critical",
          };
          decided.verdicts.push("rejected");
          decided.decisions.push(
            this.decisionMessage(
              action,
              {
                verdict: "rejected",
                scores: { identity: 0, scope: 1, payload: 1, alignment: 0, drift: 0 },
                reasons: [reason],
                policyVersion: "intake",
                payloadFindings: [],
              },
              null,
              now,
            ),
          );
        }
        this.logger.warn(
          {
            event: intake.cause.step === "validator.observation" ? "observation_dead_lettered" : "action_dead_lettered",
            reason: intake.cause.reason,
            partition,
            offset: message.offset,
          },
          intake.cause.detail,
        );
      }
    }
    for (const agentId of agents) this.agentPartitions.set(agentId, partition);
    decided.state = (this.changelog as StateChangelog).takeRecords(this.engine, agents, partition, (agentId) =>
      this.agentPartitions.get(agentId),
    );
    return decided;
  }

  private decisionMessage(
    action: ProposedAction,
    decision: ActionDecision,
    registrationVersion: number | null,
    now: number,
  ): Message {
    const redacted = this.redactForTrail(action, decision);
    const record = this.verdictSigner.sign({
      decision_id: crypto.randomUUID(),
      action,
      verdict: decision.verdict,
      scores: decision.scores,
      reasons: redacted.reasons,
      policy_version: decision.policyVersion,
      registration_version: registrationVersion,
      validator_id: this.config.validatorId,
      decided_at: now,
      expires_at: now + this.config.decisionTtlSeconds * 1000,
      supersedes: null,
      reviewer: null,
      review_comment: null,
      redacted_arguments_json: redacted.arguments,
    });
    return { key: action.agent_id, value: (this.contracts as MandateContracts).decision.encode(record) };
  }

  /**
   * What the trail may keep of a decision that found credentials: the arguments with each one redacted
   * (null when none was found), and reason messages with them redacted too — a reason may quote an
   * argument value (an unexplained recipient, a new destination) that holds one.
   */
  private redactForTrail(
    action: ProposedAction,
    decision: ActionDecision,
  ): { arguments: string | null; reasons: Reason[] } {
    const { payloadFindings } = decision;
    if (!payloadFindings.some((finding) => finding.secret !== undefined)) {
      return { arguments: null, reasons: decision.reasons };
    }
    return {
      arguments: redactSecrets(action.arguments_json, payloadFindings, this.redactionKey),
      reasons: decision.reasons.map((reason) => ({
        ...reason,
        message: redactSecretsInText(reason.message, payloadFindings, this.redactionKey),
      })),
    };
  }
}

/** What an undecodable action is recorded as in its rejection: the ids, nothing else. */
function unreadableAction(actionId: string, agentId: string, timestamp: number): ProposedAction {
  return {
    action_id: actionId,
    agent_id: agentId,
    session_id: "",
    session_task: null,
    tool: "",
    operation: "",
    resource: null,
    destination: null,
    arguments_json: "",
    intent: null,
    proposed_at: Number.isFinite(timestamp) ? timestamp : 0,
    nonce: "",
    key_id: null,
    signature: null,
  };
}

/** At most `size` holders at once; the others wait in order. */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(size: number) {
    this.free = size;
  }

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
}

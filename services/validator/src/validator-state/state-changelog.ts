import crypto from "node:crypto";
import type { Kafka, Message } from "kafkajs";
import type { Logger } from "../../../common/src/logger.js";
import type { DecisionEngine } from "../decision-engine.js";
import { decodeAgentState, encodeAgentState, type AgentState } from "./agent-state.js";

/** What one restore read and how long it took. */
export interface RestoreReport {
  partitions: number[];
  /** Agent records applied (a key written many times counts each time compaction has not yet merged it). */
  records: number;
  agents: number;
  bytes: number;
  durationMs: number;
}

/**
 * The validator's security state (replay window, proposal rate, drift baseline, sessions) as a compacted
 * changelog topic, the way Kafka Streams keeps a state store: one record per agent, key = agent id, in the
 * partition of the agent's actions, written in the same transaction as the decisions and the consumed
 * offsets. So the changelog holds exactly the state of the committed decisions: an aborted batch wrote
 * nothing to it, and a fenced ("zombie") validator's writes are aborted with its decisions.
 *
 * Why a changelog rather than deciding the partition's history again on restore: the drift baseline is
 * long-lived (what an agent was approved to do over weeks, beyond the action topic's retention), so a
 * re-read would cost the whole history and still lose what retention dropped; deciding it again would also
 * need the registration and policy versions of the time, not today's, to reach the same verdicts. A restore
 * from the changelog reads one record per agent, whatever the history.
 */
export class StateChangelog {
  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly logger: Logger,
  ) {}

  /** The records of the agents a batch touched, for the batch's transaction (to the batch's partition). */
  records(engine: DecisionEngine, agentIds: Iterable<string>, partition: number, now: number): Message[] {
    return [...agentIds].map((agentId) => ({
      key: agentId,
      partition,
      value: encodeAgentState(engine.agentState(agentId, now)),
    }));
  }

  /**
   * Reads `partitions` of the changelog from the beginning up to their current end (read-committed) and
   * hands each agent's latest state to `apply`. The caller fences the partitions' previous owner first,
   * so no transaction of it is still open and the end read here is final. `whileReading` runs every
   * second meanwhile (the consumer group's heartbeat).
   */
  async restore(
    partitions: readonly number[],
    apply: (agentId: string, state: AgentState | undefined, partition: number) => void,
    whileReading: () => Promise<void> = async () => undefined,
  ): Promise<RestoreReport> {
    const started = performance.now();
    const report: RestoreReport = { partitions: [...partitions], records: 0, agents: 0, bytes: 0, durationMs: 0 };
    const wanted = new Set(partitions);
    const admin = this.kafka.admin();
    await admin.connect();
    let ends: Map<number, number>;
    try {
      const offsets = await admin.fetchTopicOffsets(this.topic);
      ends = new Map(
        offsets
          .filter((o) => wanted.has(o.partition) && Number(o.high) > Number(o.low))
          .map((o) => [o.partition, Number(o.high)]),
      );
    } finally {
      await admin.disconnect();
    }
    if (ends.size === 0) {
      report.durationMs = performance.now() - started;
      return report;
    }

    // Latest state per agent; applied once the partitions are read to their end, so an agent is set once.
    const latest = new Map<string, { value: Buffer | null; partition: number }>();
    const consumer = this.kafka.consumer({
      groupId: `mandate-validator-restore-${crypto.randomUUID()}`,
      readUncommitted: false,
      maxBytesPerPartition: 16 * 1024 * 1024,
    });
    let done: () => void = () => undefined;
    let failed: (error: unknown) => void = () => undefined;
    const finished = new Promise<void>((resolve, reject) => {
      done = resolve;
      failed = reject;
    });
    const progress = (partition: number, next: number) => {
      const end = ends.get(partition);
      if (end !== undefined && next >= end) ends.delete(partition);
      if (ends.size === 0) done();
    };
    consumer.on(consumer.events.CRASH, ({ payload }) => failed(payload.error));
    // A batch's last offset counts commit markers and aborted records, which eachBatch never hands over.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.topic === this.topic) progress(payload.partition, Number(payload.lastOffset) + 1);
    });
    const beat = setInterval(() => void whileReading().catch(() => undefined), 1000);
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: this.topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          if (!wanted.has(batch.partition)) return;
          for (const message of batch.messages) {
            const agentId = message.key?.toString();
            if (agentId === undefined) continue;
            latest.set(agentId, { value: message.value, partition: batch.partition });
            report.records += 1;
            report.bytes += message.value?.length ?? 0;
          }
        },
      });
      await finished;
    } finally {
      clearInterval(beat);
      await consumer.disconnect().catch(() => undefined);
    }
    for (const [agentId, { value, partition }] of latest) {
      apply(agentId, value === null ? undefined : decodeAgentState(value), partition);
    }
    report.agents = latest.size;
    report.durationMs = performance.now() - started;
    this.logger.info({ event: "validator_state_restored", ...report }, "validator state restored from the changelog");
    return report;
  }
}

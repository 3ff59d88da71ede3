import type { Consumer, Kafka } from "kafkajs";
import type { AvroCodec, DecisionRecord } from "@mandate/contracts";
import { consumeFromNow, ownPartition } from "./consume-from-now.js";

/**
 * Reads one agent's decisions from "now" on (consumeFromNow) and hands each to whoever waits for its
 * action. Decisions are keyed by agent, so only the agent's own partition is read; the others, which
 * hold other agents' decisions, are paused and never fetched or decoded here.
 */
export class DecisionListener {
  private readonly waiting = new Map<string, (decision: DecisionRecord) => void>();
  private consumer: Consumer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly codec: AvroCodec<DecisionRecord>,
    private readonly agentId: string,
  ) {}

  async start(): Promise<void> {
    this.consumer = await consumeFromNow(this.kafka, this.topic, (partitions) => ({
      partitions: [ownPartition(this.topic, partitions, this.agentId)],
      eachMessage: async ({ message }) => {
        if (message.key?.toString() !== this.agentId) return;
        // An unreadable decision can never approve anything; the sink dead-letters it for the record.
        const decision = await this.codec.decode(message.value).catch(() => undefined);
        if (!decision) return;
        this.waiting.get(decision.action.action_id)?.(decision);
      },
    }));
  }

  /** Resolves with the first decision for `actionId`; the caller owns the deadline. */
  expect(actionId: string): { decision: Promise<DecisionRecord>; cancel(): void } {
    let resolveDecision: (d: DecisionRecord) => void = () => {};
    const decision = new Promise<DecisionRecord>((resolve) => (resolveDecision = resolve));
    const cancel = this.watch(actionId, (d) => {
      cancel();
      resolveDecision(d);
    });
    return { decision, cancel };
  }

  /**
   * Hands every decision for `actionId` to `onDecision` (the verdict, then any record superseding it,
   * such as a reviewer's) until the returned cancel is called. One watcher per action id.
   */
  watch(actionId: string, onDecision: (decision: DecisionRecord) => void): () => void {
    this.waiting.set(actionId, onDecision);
    return () => {
      if (this.waiting.get(actionId) === onDecision) this.waiting.delete(actionId);
    };
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

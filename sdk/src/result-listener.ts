import type { Consumer, Kafka } from "kafkajs";
import { type AvroCodec, RECORD_KIND_HEADER, type AgentObservation } from "@mandate/contracts";
import { headerText } from "./kafka/dead-letter.js";
import { consumeFromNow, ownPartition } from "./consume-from-now.js";

/**
 * Reads the executors' results for one agent's actions back from where they were written: the
 * agent's own partition of the actions topic, from "now" on (consumeFromNow). Reading the result
 * there is what orders the agent's next proposal after it on the partition the validator reads. The
 * other partitions are paused: they hold other agents' traffic. Records whose header says `action`
 * are skipped without decoding; anything else is decoded as an observation, and what does not read
 * as one (whatever its header said) is skipped.
 */
export class ResultListener {
  private readonly waiting = new Map<string, (observation: AgentObservation) => void>();
  private consumer: Consumer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly codec: AvroCodec<AgentObservation>,
    private readonly agentId: string,
  ) {}

  async start(): Promise<void> {
    this.consumer = await consumeFromNow(this.kafka, this.topic, (partitions) => {
      const own = ownPartition(this.topic, partitions, this.agentId);
      return {
        partitions: [own],
        eachMessage: async ({ partition, message }) => {
          if (partition !== own || message.key?.toString() !== this.agentId) return;
          if (headerText(message.headers, RECORD_KIND_HEADER) === "action") return;
          const observation = await this.codec.decode(message.value).catch(() => undefined);
          if (!observation?.action_id || !observation.reporter.startsWith("executor:")) return;
          this.waiting.get(observation.action_id)?.(observation);
        },
      };
    });
  }

  /** Resolves with the first executor's result for `actionId`; the caller owns the deadline. */
  expect(actionId: string): { result: Promise<AgentObservation>; cancel(): void } {
    let resolveResult: (o: AgentObservation) => void = () => {};
    const result = new Promise<AgentObservation>((resolve) => (resolveResult = resolve));
    this.waiting.set(actionId, (o) => {
      this.waiting.delete(actionId);
      resolveResult(o);
    });
    return { result, cancel: () => this.waiting.delete(actionId) };
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

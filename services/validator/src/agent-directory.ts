import crypto from "node:crypto";
import type { Consumer, Kafka } from "kafkajs";
import type { AvroCodec } from "../../common/src/avro-codec.js";
import { UndecodableMessageError } from "../../common/src/errors.js";
import type { Logger } from "../../common/src/logger.js";
import type { AgentRegistration } from "../../common/src/registration.js";

/**
 * The validator's in-memory view of the compacted registry topic. Every instance reads the whole
 * topic (no committed offsets, a private group), applies updates as they arrive, and is `ready`
 * once it has read up to the end offsets it saw at start, so no action is decided against a
 * half-loaded registry.
 */
export class AgentDirectory {
  private readonly registrations = new Map<string, AgentRegistration>();
  private consumer: Consumer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly codec: AvroCodec<AgentRegistration>,
    private readonly logger: Logger,
  ) {}

  get(agentId: string): AgentRegistration | undefined {
    return this.registrations.get(agentId);
  }

  get size(): number {
    return this.registrations.size;
  }

  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(this.topic);
    await admin.disconnect();
    const remaining = new Map(ends.filter((p) => Number(p.high) > 0).map((p) => [p.partition, Number(p.high)]));

    let markReady: () => void = () => {};
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    if (remaining.size === 0) markReady();

    this.consumer = this.kafka.consumer({ groupId: `mandate-directory-${crypto.randomUUID()}` });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        await this.apply(message.key?.toString(), message.value);
        const end = remaining.get(partition);
        if (end !== undefined && Number(message.offset) + 1 >= end) {
          remaining.delete(partition);
          if (remaining.size === 0) markReady();
        }
      },
    });
    await ready;
    this.logger.info({ event: "agent_directory_ready", agents: this.registrations.size }, "agent registry loaded");
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }

  private async apply(agentId: string | undefined, value: Buffer | null): Promise<void> {
    if (!agentId) return;
    if (value === null) {
      this.registrations.delete(agentId);
      this.logger.info({ event: "agent_registration_removed", agent_id: agentId }, "registration removed");
      return;
    }
    try {
      const registration = await this.codec.decode(value);
      const current = this.registrations.get(agentId);
      // NOTE: compaction keeps the latest write, but a stale producer may still write an older version; never go back.
      if (current && current.version > registration.version) return;
      this.registrations.set(agentId, registration);
      this.logger.info(
        { event: "agent_registration_applied", agent_id: agentId, version: registration.version },
        "registration applied",
      );
    } catch (error) {
      if (!(error instanceof UndecodableMessageError)) throw error;
      // The previous registration stays in force; the registry writer validates before it publishes.
      this.logger.error({ event: "agent_registration_undecodable", agent_id: agentId, reason: error.reason }, error.message);
    }
  }
}

import type { Kafka } from "kafkajs";
import type { AvroCodec } from "../../common/src/avro-codec.js";
import { CompactedTopicReader } from "../../common/src/compacted-topic-reader.js";
import { UndecodableMessageError } from "../../common/src/errors.js";
import type { Logger } from "../../common/src/logger.js";
import type { AgentRegistration } from "../../common/src/registration.js";

/** The validator's in-memory view of the registry topic; updates apply without a restart. */
export class AgentDirectory {
  private readonly registrations = new Map<string, AgentRegistration>();
  private readonly reader: CompactedTopicReader;

  constructor(
    kafka: Kafka,
    topic: string,
    private readonly codec: AvroCodec<AgentRegistration>,
    private readonly logger: Logger,
  ) {
    this.reader = new CompactedTopicReader(kafka, topic, (key, value) => this.apply(key, value), logger);
  }

  get(agentId: string): AgentRegistration | undefined {
    return this.registrations.get(agentId);
  }

  get size(): number {
    return this.registrations.size;
  }

  async start(): Promise<void> {
    await this.reader.start();
    this.logger.info({ event: "agent_directory_ready", agents: this.registrations.size }, "agent registry loaded");
  }

  async stop(): Promise<void> {
    await this.reader.stop();
  }

  private async apply(agentId: string, value: Buffer | null): Promise<void> {
    if (value === null) {
      this.registrations.delete(agentId);
      this.logger.info({ event: "agent_registration_removed", agent_id: agentId }, "registration removed");
      return;
    }
    try {
      const registration = await this.codec.decode(value);
      const current = this.registrations.get(agentId);
      // NOTE: compaction keeps the latest write, but a stale publisher may still write an older version; never go back.
      if (current && current.version > registration.version) return;
      this.registrations.set(agentId, registration);
      this.logger.info(
        { event: "agent_registration_applied", agent_id: agentId, version: registration.version },
        "registration applied",
      );
    } catch (error) {
      if (!(error instanceof UndecodableMessageError)) throw error;
      // The previous registration stays in force; publishers validate before they publish.
      this.logger.error(
        { event: "agent_registration_undecodable", agent_id: agentId, reason: error.reason },
        error.message,
      );
    }
  }
}

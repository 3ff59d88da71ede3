import type { Kafka } from "kafkajs";
import { type AvroCodec, UndecodableMessageError, type AgentRegistration } from "@mandate/contracts";
import { CompactedTopicReader } from "./compacted-topic-reader.js";
import type { Logger } from "./logger.js";

/**
 * An in-memory view of the registry topic, updates applied without a restart: the validator decides
 * with it, the review service reads each agent's owner (the team whose reviewers may decide its flags)
 * from it, an executor serving owners reads whose each agent is, the CLI lists it.
 */
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

  /** Resolves true once every registration written before the call is applied; false after `timeoutMs`. */
  catchUp(timeoutMs: number): Promise<boolean> {
    return this.reader.catchUp(timeoutMs);
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
      if (registration.agent_id !== agentId) {
        // Keyed by agent id: a registration under another agent's key would speak for that agent.
        this.logger.error(
          { event: "agent_registration_misplaced", agent_id: agentId, registered_agent_id: registration.agent_id },
          "registration published under another agent's key; ignored",
        );
        return;
      }
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

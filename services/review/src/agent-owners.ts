import type { Kafka } from "kafkajs";
import type { AvroCodec } from "../../common/src/avro-codec.js";
import { CompactedTopicReader } from "../../common/src/compacted-topic-reader.js";
import { DependencyUnavailableError } from "../../common/src/errors.js";
import type { Logger } from "../../common/src/logger.js";
import type { AgentRegistration } from "../../common/src/registration.js";

/**
 * Who owns each agent, from the compacted registry topic: agent id → its registration's `owner`,
 * the team whose reviewers may decide its flags. The latest registration wins; a tombstone, or a
 * value that cannot be read, forgets the owner, so the agent's flags are left to reviewers of
 * every team ("*") rather than to a team the service can no longer vouch for.
 */
export class AgentOwners {
  private readonly owners = new Map<string, string>();
  private readonly reader: CompactedTopicReader;

  constructor(
    kafka: Kafka,
    topic: string,
    private readonly codec: AvroCodec<AgentRegistration>,
    private readonly logger: Logger,
  ) {
    this.reader = new CompactedTopicReader(kafka, topic, (key, value) => this.apply(key, value), logger);
  }

  /** Resolves once every registration published before the call is loaded. */
  async start(): Promise<void> {
    await this.reader.start();
  }

  async stop(): Promise<void> {
    await this.reader.stop();
  }

  ownerOf(agentId: string): string | undefined {
    return this.owners.get(agentId);
  }

  private async apply(agentId: string, value: Buffer | null): Promise<void> {
    if (value === null) {
      this.owners.delete(agentId);
      return;
    }
    try {
      const registration = await this.codec.decode(value);
      if (registration.agent_id !== agentId) {
        throw new Error(`registration for ${registration.agent_id} published under the key ${agentId}`);
      }
      this.owners.set(agentId, registration.owner);
    } catch (error) {
      // A registry outage is retried by the reader; anything else about this one record is its own fault.
      if (error instanceof DependencyUnavailableError) throw error;
      this.owners.delete(agentId);
      this.logger.error(
        { event: "review_registration_unusable", agent_id: agentId, err: error },
        "registration unusable; the agent's flags are left to reviewers of every team",
      );
    }
  }
}

import type { Producer } from "kafkajs";
import {
  ed25519PublicKey,
  ConfigError,
  openContracts,
  type MandateContracts,
  type PolicySetRecord,
  type AgentRegistration,
  type TopicNames,
} from "@mandate/contracts";
import { createKafka } from "./kafka/kafka-client.js";
import { loggerOf, topicsOf, type ConnectionOptions } from "./sdk-options.js";

/**
 * Publishes what the platform team governs — agent registrations and policy sets — to their
 * compacted topics, keyed so the latest version per agent or set wins. Validators pick them up
 * without a restart. Callers validate first (the CLI does); validators re-check and refuse what is invalid.
 */
export class GovernancePublisher {
  private constructor(
    private readonly producer: Producer,
    private readonly contracts: MandateContracts,
    private readonly topics: TopicNames,
  ) {}

  static async connect(options: ConnectionOptions): Promise<GovernancePublisher> {
    const kafka = createKafka(options, "mandate-governance-publisher", loggerOf(options, "governance-publisher"));
    const contracts = await openContracts(options, topicsOf(options));
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    return new GovernancePublisher(producer, contracts, topicsOf(options));
  }

  /**
   * Publishes `registration`. Refused before anything is sent when a key is not an Ed25519 public key:
   * a private key pasted where the public key belongs would otherwise be published to every reader.
   */
  async publish(registration: AgentRegistration): Promise<void> {
    for (const key of registration.keys) {
      try {
        ed25519PublicKey(key.public_key);
      } catch (error) {
        throw new ConfigError(
          `registration ${registration.agent_id}: key ${key.key_id} is not an Ed25519 public key in SPKI PEM; nothing was published`,
          { cause: error },
        );
      }
    }
    await this.send(this.topics.registry, registration.agent_id, this.contracts.registration.encode(registration));
  }

  async publishPolicySet(policySet: PolicySetRecord): Promise<void> {
    await this.send(this.topics.policies, policySet.set_id, this.contracts.policySet.encode(policySet));
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }

  private async send(topic: string, key: string, value: Buffer): Promise<void> {
    await this.producer.send({ topic, acks: -1, messages: [{ key, value }] });
  }
}

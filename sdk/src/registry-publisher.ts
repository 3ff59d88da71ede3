import type { Producer } from "kafkajs";
import { createKafka } from "../../services/common/src/kafka-client.js";
import { createLogger } from "../../services/common/src/logger.js";
import { openContracts, type MandateContracts } from "../../services/common/src/mandate-contracts.js";
import type { AgentRegistration } from "../../services/common/src/registration.js";
import { topicsOf, type ConnectionOptions } from "./sdk-options.js";

/** Publishes registrations to the compacted registry topic; validators pick them up without restart. */
export class RegistryPublisher {
  private constructor(
    private readonly producer: Producer,
    private readonly contracts: MandateContracts,
    private readonly topic: string,
  ) {}

  static async connect(options: ConnectionOptions): Promise<RegistryPublisher> {
    const kafka = createKafka(options.kafkaBrokers, "mandate-registry-publisher", createLogger("registry-publisher", "warn"));
    const contracts = await openContracts(options.schemaRegistryUrl, topicsOf(options));
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    return new RegistryPublisher(producer, contracts, topicsOf(options).registry);
  }

  async publish(registration: AgentRegistration): Promise<void> {
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: [{ key: registration.agent_id, value: this.contracts.registration.encode(registration) }],
    });
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}

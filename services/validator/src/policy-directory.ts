import type { Kafka } from "kafkajs";
import { type AvroCodec, UndecodableMessageError, type PolicySetRecord } from "@mandate/contracts";
import { CompactedTopicReader } from "@mandate/sdk/kafka/compacted-topic-reader";
import type { Logger } from "@mandate/common/logger";
import type { DecisionEngine } from "./decision-engine.js";

/**
 * Feeds the compacted policies topic into the decision engine: at start every set in force, then
 * each new version as it is published (hot reload). A set the engine refuses is logged with the
 * engine's (Cedar's) messages and the previous version stays in force.
 */
export class PolicyDirectory {
  private readonly reader: CompactedTopicReader;

  constructor(
    kafka: Kafka,
    topic: string,
    private readonly codec: AvroCodec<PolicySetRecord>,
    private readonly engine: DecisionEngine,
    private readonly logger: Logger,
  ) {
    this.reader = new CompactedTopicReader(kafka, topic, (key, value) => this.apply(key, value), logger);
  }

  async start(): Promise<void> {
    await this.reader.start();
  }

  async stop(): Promise<void> {
    await this.reader.stop();
  }

  private async apply(setId: string, value: Buffer | null): Promise<void> {
    if (value === null) {
      // Removing a set is not supported yet: publishing a new version with no policies is how to retire one.
      this.logger.warn({ event: "policy_set_tombstone_ignored", set_id: setId }, "policy set tombstones are ignored");
      return;
    }
    let record: PolicySetRecord;
    try {
      record = await this.codec.decode(value);
    } catch (error) {
      if (!(error instanceof UndecodableMessageError)) throw error;
      this.logger.error({ event: "policy_set_undecodable", set_id: setId, reason: error.reason }, error.message);
      return;
    }
    const result = this.engine.applyPolicySet(record);
    if (result.ok) {
      this.logger.info(
        { event: "policy_set_applied", set_id: record.set_id, version: record.version, mode: record.mode },
        "policy set applied",
      );
    } else {
      this.logger.error(
        { event: "policy_set_refused", set_id: record.set_id, version: record.version, errors: result.errors },
        "policy set refused; the previous version stays in force",
      );
    }
  }
}

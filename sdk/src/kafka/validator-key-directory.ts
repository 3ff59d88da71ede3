import type { KeyObject } from "node:crypto";
import type { Kafka } from "kafkajs";
import {
  type AvroCodec,
  ed25519PublicKey,
  DependencyUnavailableError,
  type ValidatorKeyRecord,
} from "@mandate/contracts";
import { CompactedTopicReader } from "./compacted-topic-reader.js";
import type { Logger } from "./logger.js";

/**
 * A reader's view of the validator-keys topic (the executor's, and the review service's): validator id → the public key its decisions
 * verify with. The latest value per validator wins (a restarted validator with a new key replaces
 * its old one) and a tombstone revokes it. A value that cannot be read or is not an Ed25519 key
 * removes the validator's key: an executor would rather refuse than trust a key it cannot check.
 */
export class ValidatorKeyDirectory {
  private readonly keys = new Map<string, KeyObject>();
  private readonly reader: CompactedTopicReader;
  /** Every key written before this time (epoch ms, this host's clock) has been applied. */
  private currentAsOf = Number.NEGATIVE_INFINITY;

  constructor(
    kafka: Kafka,
    topic: string,
    private readonly codec: AvroCodec<ValidatorKeyRecord>,
    private readonly logger: Logger,
  ) {
    this.reader = new CompactedTopicReader(kafka, topic, (key, value) => this.apply(key, value), logger);
  }

  /** Resolves once every key published before the call is loaded. */
  async start(): Promise<void> {
    await this.reader.start();
  }

  async stop(): Promise<void> {
    await this.reader.stop();
  }

  get(validatorId: string): KeyObject | undefined {
    return this.keys.get(validatorId);
  }

  /**
   * The key for `validatorId`. For an id not known yet it first makes sure the view holds every key
   * written before `writtenBy` (epoch ms on this host, a time by which the record naming the id had
   * certainly been written: when it was fetched), reading the topic up to its end offsets, for at
   * most `graceMs`. A decider publishes its key, acknowledged, before it decides, so a genuine
   * record's key was written before the record, hence before `writtenBy`: a reader that sees the
   * decision before the key still finds it. Nothing waits on a timer for an id that never comes, and
   * one read serves every record fetched before it began: a batch of records naming made-up signers
   * costs one offsets request, not one wait each.
   */
  async keyFor(validatorId: string, graceMs: number, writtenBy = Date.now()): Promise<KeyObject | undefined> {
    const known = this.keys.get(validatorId);
    if (known || this.currentAsOf >= writtenBy) return known;
    const from = Date.now();
    if (await this.reader.catchUp(graceMs)) this.currentAsOf = Math.max(this.currentAsOf, from);
    return this.keys.get(validatorId);
  }

  private async apply(validatorId: string, value: Buffer | null): Promise<void> {
    if (value === null) {
      this.keys.delete(validatorId);
      this.logger.info({ event: "validator_key_revoked", validator_id: validatorId }, "validator key revoked");
      return;
    }
    let key: KeyObject;
    try {
      const record = await this.codec.decode(value);
      if (record.algorithm !== "ed25519" || record.validator_id !== validatorId) {
        throw new Error(
          `record for ${record.validator_id} (${record.algorithm}) is not an ed25519 key for ${validatorId}`,
        );
      }
      key = ed25519PublicKey(record.public_key);
    } catch (error) {
      // A registry outage is retried by the reader; anything else about this one record is its own fault.
      if (error instanceof DependencyUnavailableError) throw error;
      this.keys.delete(validatorId);
      this.logger.error(
        { event: "validator_key_unusable", validator_id: validatorId, err: error },
        "validator key record unusable; its decisions are refused",
      );
      return;
    }
    this.keys.set(validatorId, key);
    this.logger.info({ event: "validator_key_applied", validator_id: validatorId }, "validator key applied");
  }
}

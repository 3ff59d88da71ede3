import type { KeyObject } from "node:crypto";
import type { Kafka } from "kafkajs";
import type { AvroCodec } from "./avro-codec.js";
import { CompactedTopicReader } from "./compacted-topic-reader.js";
import { ed25519PublicKey } from "./ed25519.js";
import { DependencyUnavailableError } from "./errors.js";
import type { Logger } from "./logger.js";
import type { ValidatorKeyRecord } from "./validator-key.js";

/**
 * A reader's view of the validator-keys topic (the executor's, and the review service's): validator id → the public key its decisions
 * verify with. The latest value per validator wins (a restarted validator with a new key replaces
 * its old one) and a tombstone revokes it. A value that cannot be read or is not an Ed25519 key
 * removes the validator's key: an executor would rather refuse than trust a key it cannot check.
 */
export class ValidatorKeyDirectory {
  private readonly keys = new Map<string, KeyObject>();
  private readonly waiting = new Map<string, Set<() => void>>();
  /** Ids `keyFor` has already waited for; bounded, so made-up ids cannot grow it without end. */
  private readonly waitedFor = new Set<string>();
  private readonly reader: CompactedTopicReader;

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
   * The key for `validatorId`, waiting up to `graceMs` the first time an unknown id is asked for: a
   * decider publishes its key before it decides, but a reader may see the decision first. It waits
   * once per id, so a stream of records naming made-up signers cannot stall the reader.
   */
  async keyFor(validatorId: string, graceMs: number): Promise<KeyObject | undefined> {
    const known = this.keys.get(validatorId);
    if (known || this.waitedFor.has(validatorId)) return known;
    if (this.waitedFor.size >= 1000) this.waitedFor.clear();
    this.waitedFor.add(validatorId);
    await this.waitFor(validatorId, graceMs);
    return this.keys.get(validatorId);
  }

  /** Resolves true when a key for `validatorId` is (or becomes) known within `timeoutMs`. */
  private async waitFor(validatorId: string, timeoutMs: number): Promise<boolean> {
    if (this.keys.has(validatorId)) return true;
    const listeners = this.waiting.get(validatorId) ?? new Set<() => void>();
    this.waiting.set(validatorId, listeners);
    let listener: () => void = () => {};
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      listener = resolve;
      listeners.add(listener);
      timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
    listeners.delete(listener);
    if (listeners.size === 0) this.waiting.delete(validatorId);
    return this.keys.has(validatorId);
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
    for (const wake of this.waiting.get(validatorId) ?? []) wake();
  }
}

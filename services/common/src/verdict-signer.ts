import crypto, { type KeyObject } from "node:crypto";
import fs from "node:fs";
import { Partitioners, type Kafka } from "kafkajs";
import {
  type AvroCodec,
  actionHash,
  canonicalCapabilityBytes,
  canonicalDecisionBytes,
  type Capability,
  type DecisionRecord,
  ed25519PrivateKey,
  publicKeyPem,
  signEd25519,
  ConfigError,
  type ValidatorKeyRecord,
} from "@mandate/contracts";
import type { Logger } from "./logger.js";

export interface VerdictSignerOptions {
  /** PKCS#8 PEM file with an Ed25519 private key; unset generates one (development). */
  signingKeyPath?: string | undefined;
  capabilityTtlSeconds: number;
}

/**
 * Signs every decision record a decider publishes (a validator, or the review service for the
 * records that supersede flags), with the decider's own Ed25519 key, and gives approved ones a
 * capability: a grant, signed separately, to run exactly that action (its hash), for that agent,
 * until a short expiry. Executors verify both with the public key the decider publishes on the
 * validator-keys topic (`publishKey`). Encodings: decision-canonical.ts.
 */
export class VerdictSigner {
  readonly publicKeyPem: string;

  private constructor(
    private readonly privateKey: KeyObject,
    /** True when the key was generated at start rather than loaded: fine for development, not for production. */
    readonly generated: boolean,
    private readonly capabilityTtlMs: number,
  ) {
    this.publicKeyPem = publicKeyPem(privateKey);
  }

  static create(options: VerdictSignerOptions): VerdictSigner {
    const ttlMs = options.capabilityTtlSeconds * 1000;
    if (!options.signingKeyPath) {
      return new VerdictSigner(crypto.generateKeyPairSync("ed25519").privateKey, true, ttlMs);
    }
    try {
      return new VerdictSigner(ed25519PrivateKey(fs.readFileSync(options.signingKeyPath, "utf8")), false, ttlMs);
    } catch (error) {
      throw new ConfigError(`signing key ${options.signingKeyPath} is not an Ed25519 private key in PEM`, {
        cause: error,
      });
    }
  }

  /**
   * Publishes the public key under `signerId` on the compacted validator-keys topic, where executors
   * look it up; a decider does this before it decides anything. `keyVariable` names the setting that
   * loads a key from a file, for the warning when the key was generated.
   *
   * NOTE: not through a transactional producer: a commit marker takes an offset after the last
   * record, and readers that load a compacted topic up to its end offset would wait for it forever.
   */
  async publishKey(
    kafka: Kafka,
    topic: string,
    codec: AvroCodec<ValidatorKeyRecord>,
    signerId: string,
    keyVariable: string,
    logger: Logger,
  ): Promise<void> {
    const value = codec.encode({
      validator_id: signerId,
      algorithm: "ed25519",
      public_key: this.publicKeyPem,
      published_at: Date.now(),
    });
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: [{ key: signerId, value }] });
    } finally {
      await producer.disconnect();
    }
    const event = { event: "signing_key_published", signer_id: signerId, topic };
    if (this.generated) {
      logger.warn(
        { ...event, key_source: "generated" },
        `signing key generated at start (development); set ${keyVariable} in production`,
      );
    } else {
      logger.info({ ...event, key_source: "file" }, "signing key loaded and published");
    }
  }

  /** The record with its capability (approved only) and its signature; the input is not changed. */
  sign(record: Omit<DecisionRecord, "capability" | "signature">): DecisionRecord {
    const capability = record.verdict === "approved" ? this.capabilityFor(record) : null;
    const unsigned = { ...record, capability };
    return { ...unsigned, signature: signEd25519(canonicalDecisionBytes(unsigned), this.privateKey) };
  }

  /**
   * The audience is the executor group the agent named in its (signed) action. The agent chooses it,
   * and that is harmless: it only narrows where its own approved action may run. What matters is
   * that the validator's signature binds it, so a copy of the approval runs in no other group.
   */
  private capabilityFor(record: Pick<DecisionRecord, "action" | "decided_at">): Capability {
    const audience = record.action.executor_group ?? null;
    const grant = {
      action_hash: actionHash(record.action),
      agent_id: record.action.agent_id,
      expires_at: record.decided_at + this.capabilityTtlMs,
      ...(audience === null ? {} : { audience }),
    };
    return { ...grant, signature: signEd25519(canonicalCapabilityBytes(grant), this.privateKey) };
  }
}

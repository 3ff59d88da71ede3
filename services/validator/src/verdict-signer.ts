import crypto, { type KeyObject } from "node:crypto";
import fs from "node:fs";
import { actionHash } from "../../common/src/action-canonical.js";
import { canonicalCapabilityBytes, canonicalDecisionBytes } from "../../common/src/decision-canonical.js";
import type { Capability, DecisionRecord } from "../../common/src/decision.js";
import { ed25519PrivateKey, publicKeyPem, signEd25519 } from "../../common/src/ed25519.js";
import { ConfigError } from "../../common/src/errors.js";

export interface VerdictSignerOptions {
  /** PKCS#8 PEM file with an Ed25519 private key; unset generates one (development). */
  signingKeyPath?: string | undefined;
  capabilityTtlSeconds: number;
}

/**
 * Signs every decision record the validator publishes, with the validator's own Ed25519 key, and
 * gives approved ones a capability: a grant, signed separately, to run exactly that action (its
 * hash), for that agent, until a short expiry. Executors verify both with the public key the
 * validator publishes on the validator-keys topic. Encodings: decision-canonical.ts.
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
      throw new ConfigError(`validator signing key ${options.signingKeyPath} is not an Ed25519 private key in PEM`, {
        cause: error,
      });
    }
  }

  /** The record with its capability (approved only) and its signature; the input is not changed. */
  sign(record: Omit<DecisionRecord, "capability" | "signature">): DecisionRecord {
    const capability = record.verdict === "approved" ? this.capabilityFor(record) : null;
    const unsigned = { ...record, capability };
    return { ...unsigned, signature: signEd25519(canonicalDecisionBytes(unsigned), this.privateKey) };
  }

  private capabilityFor(record: Pick<DecisionRecord, "action" | "decided_at">): Capability {
    const grant = {
      action_hash: actionHash(record.action),
      agent_id: record.action.agent_id,
      expires_at: record.decided_at + this.capabilityTtlMs,
    };
    return { ...grant, signature: signEd25519(canonicalCapabilityBytes(grant), this.privateKey) };
  }
}

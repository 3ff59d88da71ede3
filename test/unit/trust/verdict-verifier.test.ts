import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  canonicalDecisionBytes,
  type DecisionRecord,
  signEd25519,
  ConfigError,
  verifyVerdict,
} from "@mandate/contracts";
import { VerdictSigner } from "@mandate/common/verdict-signer";
import { DECIDED_AT, paymentAction, signedDecision } from "../../support/signed-decisions.js";

const decidedAt = DECIDED_AT;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mandate-verdict-test-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const validatorKeys = crypto.generateKeyPairSync("ed25519");
const keyFile = path.join(dir, "validator.pem");
fs.writeFileSync(keyFile, validatorKeys.privateKey.export({ type: "pkcs8", format: "pem" }));
const signer = VerdictSigner.create({ signingKeyPath: keyFile, capabilityTtlSeconds: 30 });
const attacker = crypto.generateKeyPairSync("ed25519");

const action = paymentAction({ key_id: "alice-1", signature: "c2lnbmVkIGJ5IGFsaWNl" });

function decide(verdict: DecisionRecord["verdict"], overrides: Partial<DecisionRecord> = {}): DecisionRecord {
  return signedDecision(signer, action, verdict, overrides);
}

/** Signs a record over whatever it now holds, with `key`: what a writer of the decision topic could do. */
function resigned(record: DecisionRecord, key: crypto.KeyObject): DecisionRecord {
  return { ...record, signature: signEd25519(canonicalDecisionBytes(record), key) };
}

const publicKey = validatorKeys.publicKey;
const codeOf = (record: DecisionRecord, now = decidedAt + 1, key: crypto.KeyObject | null = publicKey) => {
  const check = verifyVerdict(record, key ?? undefined, now);
  return check.ok ? "ok" : check.code;
};

describe("verdict signer and verifier", () => {
  it("signs every record and grants a capability bound to the action only on approval", () => {
    const approved = decide("approved");
    expect(codeOf(approved)).toBe("ok");
    expect(approved.capability).toMatchObject({ agent_id: "alice", expires_at: decidedAt + 30_000 });
    expect(approved.capability?.action_hash).toMatch(/^[0-9a-f]{64}$/);
    const flagged = decide("flagged");
    expect(flagged.capability).toBeNull();
    expect(codeOf(flagged)).toBe("ok");
  });

  it("refuses a record forged with another key, or with no signature, or from an unknown validator", () => {
    expect(codeOf(resigned(decide("approved"), attacker.privateKey))).toBe("verdict.bad_signature");
    expect(codeOf({ ...decide("approved"), signature: null })).toBe("verdict.unsigned");
    expect(codeOf(decide("approved"), decidedAt + 1, null)).toBe("verdict.unknown_validator");
  });

  it("refuses a genuine record whose action was changed, even re-signed by an attacker", () => {
    const genuine = decide("approved");
    const altered = { ...genuine, action: { ...action, arguments_json: '{"to":"MALLORY","amount":10000}' } };
    expect(codeOf(altered)).toBe("verdict.action_hash_mismatch");
    expect(codeOf(resigned(altered, attacker.privateKey))).toBe("verdict.action_hash_mismatch");
  });

  it("refuses a capability moved to another action or agent", () => {
    const other = decide("approved", { action: { ...action, action_id: "act-2" } });
    expect(codeOf({ ...decide("approved"), capability: other.capability })).toBe("verdict.action_hash_mismatch");
    const genuine = decide("approved");
    expect(codeOf({ ...genuine, capability: { ...genuine.capability!, agent_id: "mallory" } })).toBe(
      "verdict.agent_mismatch",
    );
  });

  it("refuses an approved record without a capability, and a capability whose own signature fails", () => {
    expect(codeOf(resigned({ ...decide("approved"), capability: null }, validatorKeys.privateKey))).toBe(
      "verdict.capability_missing",
    );
    const genuine = decide("approved");
    const badGrant = { ...genuine, capability: { ...genuine.capability!, signature: genuine.signature! } };
    expect(codeOf(resigned(badGrant, validatorKeys.privateKey))).toBe("verdict.capability_bad_signature");
  });

  it("refuses a changed field anywhere in the record", () => {
    const genuine = decide("approved");
    expect(codeOf({ ...genuine, expires_at: genuine.expires_at + 3_600_000 })).toBe("verdict.bad_signature");
    expect(codeOf({ ...genuine, verdict: "flagged" })).toBe("verdict.bad_signature");
    expect(codeOf({ ...decide("rejected"), verdict: "approved", capability: genuine.capability })).toBe(
      "verdict.bad_signature",
    );
  });

  it("refuses an expired decision and an expired capability", () => {
    const record = decide("approved");
    expect(codeOf(record, decidedAt + 60_000)).toBe("verdict.expired");
    expect(codeOf(record, decidedAt + 30_000)).toBe("verdict.capability_expired");
    expect(codeOf(record, decidedAt + 29_999)).toBe("ok");
  });

  it("refuses to start with a signing key file that is not an Ed25519 private key", () => {
    const rsa = path.join(dir, "rsa.pem");
    const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 1024 });
    fs.writeFileSync(rsa, privateKey.export({ type: "pkcs8", format: "pem" }));
    expect(() => VerdictSigner.create({ signingKeyPath: rsa, capabilityTtlSeconds: 1 })).toThrow(ConfigError);
    expect(VerdictSigner.create({ capabilityTtlSeconds: 1 }).generated).toBe(true);
  });
});

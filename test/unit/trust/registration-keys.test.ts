import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseRegistrationFile } from "@mandate/cli/registration-file";

const pem = (type: "ed25519" | "rsa") =>
  (type === "rsa"
    ? crypto.generateKeyPairSync("rsa", { modulusLength: 1024 })
    : crypto.generateKeyPairSync("ed25519")
  ).publicKey
    .export({ type: "spki", format: "pem" })
    .toString();

function registrationWithKeys(keys: object[]): string {
  return JSON.stringify({
    agent_id: "alice",
    owner: "team",
    purpose: "Answer questions about orders.",
    scope: { tools: [{ name: "lookup_order", description: "Read one order" }] },
    keys,
    version: 1,
  });
}

describe("registration keys", () => {
  it("accepts several Ed25519 keys with validity windows (rotation)", () => {
    const result = parseRegistrationFile(
      registrationWithKeys([
        { key_id: "k1", public_key: pem("ed25519"), not_after: 2_000 },
        { key_id: "k2", public_key: pem("ed25519"), not_before: 1_000 },
      ]),
      "alice.json",
    );
    expect(result.ok && result.registration.keys.map((k) => [k.key_id, k.not_before, k.not_after])).toEqual([
      ["k1", null, 2_000],
      ["k2", 1_000, null],
    ]);
  });

  it("refuses a key that is not Ed25519, a key id listed twice and an empty validity window", () => {
    const result = parseRegistrationFile(
      registrationWithKeys([
        { key_id: "k1", public_key: pem("rsa") },
        { key_id: "k2", public_key: pem("ed25519"), not_before: 5, not_after: 5 },
        { key_id: "k2", public_key: pem("ed25519") },
      ]),
      "alice.json",
    );
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors.join("\n");
    expect(errors).toContain("keys.0.public_key: an Ed25519 public key in SPKI PEM");
    expect(errors).toContain("keys.1.not_after: not_after must be after not_before");
    expect(errors).toContain("keys.2.key_id: key k2 is listed twice");
  });
});

import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type ProposedAction,
  publicKeyPem,
  type AgentKey,
  type AgentRegistration,
  actionSigner,
  signAction,
} from "@mandate/contracts";
import { IdentityCheck } from "@mandate/validator/workload-identity/index";
import { testRegistration } from "../../support/registrations.js";

const now = Date.UTC(2026, 5, 1, 12);
const hour = 3_600_000;

function keyPair(keyId: string, validity: Partial<Pick<AgentKey, "not_before" | "not_after">> = {}) {
  const { privateKey } = crypto.generateKeyPairSync("ed25519");
  const agentKey: AgentKey = {
    key_id: keyId,
    public_key: publicKeyPem(privateKey),
    not_before: validity.not_before ?? null,
    not_after: validity.not_after ?? null,
  };
  return { agentKey, signer: actionSigner({ keyId, privateKey }) };
}

function unsignedAction(overrides: Partial<ProposedAction> = {}): ProposedAction {
  return {
    action_id: crypto.randomUUID(),
    agent_id: "alice",
    session_id: "s",
    session_task: null,
    tool: "lookup_order",
    operation: "read",
    resource: null,
    destination: null,
    arguments_json: '{"order_id":"A-1"}',
    intent: null,
    proposed_at: now,
    nonce: crypto.randomBytes(16).toString("hex"),
    key_id: null,
    signature: null,
    ...overrides,
  };
}

const current = keyPair("alice-2026");
const next = keyPair("alice-2027", { not_before: now - hour });
const expired = keyPair("alice-2025", { not_after: now - hour });
const future = keyPair("alice-2028", { not_before: now + hour });
const mallory = keyPair("mallory-1");
const alice: AgentRegistration = {
  ...testRegistration("alice"),
  keys: [current.agentKey, next.agentKey, expired.agentKey, future.agentKey],
};

function codeOf(check: IdentityCheck, action: ProposedAction, registration: AgentRegistration | null = alice) {
  const result = check.check(action, registration ?? undefined, now);
  return result.ok ? "ok" : result.reason.code;
}

describe("identity check", () => {
  it("accepts an action signed by any key valid now (rotation: two keys at once)", () => {
    const check = new IdentityCheck();
    expect(codeOf(check, signAction(unsignedAction(), current.signer))).toBe("ok");
    expect(codeOf(check, signAction(unsignedAction(), next.signer))).toBe("ok");
  });

  it("rejects each failure with its own reason code", () => {
    const check = new IdentityCheck();
    const signed = signAction(unsignedAction(), current.signer);
    expect(codeOf(check, unsignedAction())).toBe("identity.signature_missing");
    expect(codeOf(check, signAction(unsignedAction(), mallory.signer))).toBe("identity.unknown_key");
    // Alice's key id, Mallory's private key.
    expect(codeOf(check, signAction(unsignedAction(), { ...mallory.signer, keyId: "alice-2026" }))).toBe(
      "identity.bad_signature",
    );
    expect(codeOf(check, { ...signed, arguments_json: '{"order_id":"A-2"}' })).toBe("identity.bad_signature");
    expect(codeOf(check, { ...signed, signature: `${signed.signature} ` })).toBe("identity.bad_signature");
    expect(codeOf(check, signAction(unsignedAction(), expired.signer))).toBe("identity.key_expired");
    expect(codeOf(check, signAction(unsignedAction(), future.signer))).toBe("identity.key_not_yet_valid");
    expect(codeOf(check, signAction(unsignedAction({ proposed_at: now - 61_000 }), current.signer))).toBe(
      "identity.stale_timestamp",
    );
    expect(codeOf(check, signAction(unsignedAction({ proposed_at: now + 61_000 }), current.signer))).toBe(
      "identity.future_timestamp",
    );
    expect(codeOf(check, signed, null)).toBe("identity.unknown_agent");
    expect(codeOf(check, signed, { ...alice, retired: true })).toBe("identity.agent_retired");
  });

  it("rejects a replayed nonce and a replayed action id, but not before the signature has verified", () => {
    const check = new IdentityCheck();
    const first = signAction(unsignedAction(), current.signer);
    // A forgery reusing the nonce is refused for its signature and does not burn the nonce.
    expect(codeOf(check, { ...first, signature: signAction(first, mallory.signer).signature })).toBe(
      "identity.bad_signature",
    );
    expect(codeOf(check, first)).toBe("ok");
    expect(codeOf(check, first)).toBe("identity.replayed_nonce");
    const sameId = signAction(unsignedAction({ action_id: first.action_id }), current.signer);
    expect(codeOf(check, sameId)).toBe("identity.replayed_action_id");
  });

  it("takes the clock skew from its options", () => {
    const check = new IdentityCheck({ clockSkewMs: 5_000, replayWindowMaxPerAgent: 10 });
    expect(codeOf(check, signAction(unsignedAction({ proposed_at: now - 6_000 }), current.signer))).toBe(
      "identity.stale_timestamp",
    );
    expect(codeOf(check, signAction(unsignedAction({ proposed_at: now - 4_000 }), current.signer))).toBe("ok");
  });

  it("accepts unsigned actions of a registration without keys (development mode), saying so", () => {
    const check = new IdentityCheck();
    const result = check.check(unsignedAction({ agent_id: "dev" }), testRegistration("dev"), now);
    expect(result.ok && result.reasons.map((r) => [r.code, r.severity])).toEqual([["identity.unsigned_agent", "info"]]);
    // A key the development-mode agent never registered is still someone else's key.
    const signed = signAction(unsignedAction({ agent_id: "dev" }), mallory.signer);
    expect(codeOf(check, signed, testRegistration("dev"))).toBe("identity.unknown_key");
  });
});

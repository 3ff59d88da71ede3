import crypto from "node:crypto";
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import {
  ACTION_CANONICAL_FIELDS,
  actionHash,
  canonicalActionBytes,
  type ProposedAction,
  canonicalCapabilityBytes,
  canonicalDecisionBytes,
  type DecisionRecord,
  ed25519PublicKey,
  signEd25519,
  verifyVerdict,
} from "@mandate/contracts";
import { CANONICAL_VECTORS_FILE, VECTOR_ACTION, type CanonicalVectors } from "../../support/canonical-vectors.js";

/** SHA-256 of `action` below; an independent implementation of the documented format must give the same. */
const ACTION_VECTOR_HASH = "26d529a4a56a18388bb9ddeae6540e502aae5b88e6bc78bf83d758770029af60";

const action: ProposedAction = VECTOR_ACTION;

const decision: DecisionRecord = {
  decision_id: "d-1",
  action,
  verdict: "approved",
  scores: { identity: 1, scope: 0, payload: 0, alignment: 0.8125, drift: 0.1 },
  reasons: [{ axis: "drift", code: "drift.new_tool", message: "First use of lookup_order.", severity: "info" }],
  policy_version: "default@1;thresholds=builtin",
  registration_version: 3,
  validator_id: "validator-1",
  decided_at: 1_767_225_600_050,
  expires_at: 1_767_225_660_050,
  supersedes: null,
  review_comment: null,
  redacted_arguments_json: null,
  reviewer: null,
  capability: { action_hash: "ab", agent_id: "support-assistant", expires_at: 1_767_225_660_050, signature: "c2ln" },
  signature: null,
};

/** The same fields, inserted in reverse order: a JSON encoder would serialise them differently. */
function reversed<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).reverse()) as T;
}

/** A value of the same type that differs from `value`. */
function changed(value: unknown): unknown {
  if (value === null) return "";
  if (typeof value === "number") return value + 1;
  return `${value as string}x`;
}

describe("action canonical encoding", () => {
  it("matches the published test vector, so other languages can check their implementation", () => {
    expect(canonicalActionBytes(action).subarray(0, 22).toString("hex")).toBe(
      // 0x01, length 17, "mandate.action.v1"
      "01000000116d616e646174652e616374696f6e2e7631",
    );
    expect(actionHash(action)).toBe(ACTION_VECTOR_HASH);
  });

  it("does not depend on the order the fields were set in", () => {
    expect(canonicalActionBytes(reversed(action)).equals(canonicalActionBytes(action))).toBe(true);
  });

  it.each(ACTION_CANONICAL_FIELDS)("changes when %s changes", (field) => {
    const altered = { ...action, [field]: changed(action[field]) };
    expect(actionHash(altered)).not.toBe(actionHash(action));
  });

  it("leaves the signature out", () => {
    const signed: ProposedAction = { ...action, signature: "anything" };
    expect(actionHash(signed)).toBe(actionHash(action));
  });

  it("tells null from an empty string, and never lets text slide from one field to the next", () => {
    expect(actionHash({ ...action, resource: "" })).not.toBe(actionHash({ ...action, resource: null }));
    const a = { ...action, tool: "lookup", operation: "_orderread" };
    const b = { ...action, tool: "lookup_order", operation: "read" };
    expect(actionHash(a)).not.toBe(actionHash(b));
    const c = { ...action, resource: "x", destination: null };
    const d = { ...action, resource: null, destination: "x" };
    expect(actionHash(c)).not.toBe(actionHash(d));
  });

  it("takes the arguments text byte for byte (no JSON normalisation)", () => {
    expect(actionHash({ ...action, arguments_json: '{"order_id": "A-1042"}' })).not.toBe(actionHash(action));
  });

  it("refuses a timestamp that is not an integer rather than sign something else", () => {
    expect(() => canonicalActionBytes({ ...action, proposed_at: 1.5 })).toThrow();
  });
});

describe("decision and capability canonical encodings", () => {
  const base = canonicalDecisionBytes(decision);

  it("does not depend on field order, and leaves the record's signature out", () => {
    expect(canonicalDecisionBytes(reversed({ ...decision, scores: reversed(decision.scores) })).equals(base)).toBe(
      true,
    );
    const signed: DecisionRecord = { ...decision, signature: "sig" };
    expect(canonicalDecisionBytes(signed).equals(base)).toBe(true);
  });

  const alterations: Array<[string, Partial<DecisionRecord>]> = [
    ["decision_id", { decision_id: "d-2" }],
    ["action arguments", { action: { ...action, arguments_json: '{"order_id":"A-9"}' } }],
    ["action signature", { action: { ...action, signature: "c2lnbmF0dXJl" } }],
    ["verdict", { verdict: "flagged" }],
    ["a score", { scores: { ...decision.scores, drift: 0.2 } }],
    ["a reason", { reasons: [{ ...decision.reasons[0]!, severity: "suspicious" }] }],
    ["reasons count", { reasons: [] }],
    ["policy_version", { policy_version: "default@2;thresholds=builtin" }],
    ["registration_version", { registration_version: null }],
    ["validator_id", { validator_id: "validator-2" }],
    ["decided_at", { decided_at: decision.decided_at + 1 }],
    ["expires_at", { expires_at: decision.expires_at + 1 }],
    ["supersedes", { supersedes: "d-0" }],
    ["reviewer", { reviewer: "alice" }],
    ["review_comment", { review_comment: "checked with the vendor" }],
    ["redacted_arguments_json", { redacted_arguments_json: '{"order_id":"[REDACTED:token:0123456789ab]"}' }],
    ["capability", { capability: null }],
    ["capability expiry", { capability: { ...decision.capability!, expires_at: decision.capability!.expires_at + 1 } }],
    ["capability agent", { capability: { ...decision.capability!, agent_id: "other" } }],
  ];

  it.each(alterations)("changes when %s changes", (_, change) => {
    expect(canonicalDecisionBytes({ ...decision, ...change }).equals(base)).toBe(false);
  });

  it("binds a capability to hash, agent and expiry, under its own domain tag", () => {
    const grant = { action_hash: actionHash(action), agent_id: action.agent_id, expires_at: 1 };
    const bytes = canonicalCapabilityBytes(grant);
    expect(bytes.subarray(5, 5 + 21).toString()).toBe("mandate.capability.v1");
    for (const change of [{ action_hash: "00" }, { agent_id: "other" }, { expires_at: 2 }]) {
      expect(canonicalCapabilityBytes({ ...grant, ...change }).equals(bytes)).toBe(false);
    }
  });
});

/**
 * The vectors other languages check their implementation against (examples/python/check_vectors.py
 * does). Written by test/support/canonical-vectors.ts; read back here and every output recomputed, so
 * a change to an encoding fails this test instead of silently moving the target.
 */
describe("published test vectors (test/fixtures/canonical-vectors.json)", () => {
  const vectors = JSON.parse(fs.readFileSync(CANONICAL_VECTORS_FILE, "utf8")) as CanonicalVectors;
  const agentKey = crypto.createPrivateKey(vectors.keys.agent.private_key);
  const validatorKey = crypto.createPrivateKey(vectors.keys.validator.private_key);

  it("holds the action vector pinned above", () => {
    expect(vectors.actions[0]?.sha256).toBe(ACTION_VECTOR_HASH);
  });

  it.each(vectors.actions.map((v) => [v.name, v] as const))("action %s", (_, vector) => {
    const bytes = canonicalActionBytes(vector.action);
    expect(bytes.toString("hex")).toBe(vector.canonical_hex);
    expect(actionHash(vector.action)).toBe(vector.sha256);
    expect(signEd25519(bytes, agentKey)).toBe(vector.signature);
  });

  it.each(vectors.capabilities.map((v) => [v.name, v] as const))("capability %s", (_, vector) => {
    expect(canonicalCapabilityBytes(vector.capability).toString("hex")).toBe(vector.canonical_hex);
  });

  it.each(vectors.decisions.map((v) => [v.name, v] as const))("decision %s", (_, vector) => {
    expect(canonicalDecisionBytes(vector.decision).toString("hex")).toBe(vector.canonical_hex);
  });

  it.each(vectors.signed_decisions.map((v) => [v.name, v] as const))("signed decision %s", (_, vector) => {
    const publicKey = ed25519PublicKey(vectors.keys.validator.public_key);
    expect(crypto.createPublicKey(validatorKey).equals(publicKey)).toBe(true);
    expect(verifyVerdict(vector.decision, publicKey, vector.now, "order-executor")).toEqual({ ok: true });
    expect(verifyVerdict({ ...vector.decision, verdict: "rejected" }, publicKey, vector.now).ok).toBe(false);
  });
});

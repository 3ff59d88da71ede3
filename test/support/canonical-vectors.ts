import crypto, { type KeyObject } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  actionHash,
  canonicalActionBytes,
  type ProposedAction,
  canonicalCapabilityBytes,
  canonicalDecisionBytes,
  type Capability,
  type DecisionRecord,
  publicKeyPem,
  signEd25519,
} from "@mandate/contracts";

/**
 * The canonical-encoding test vectors other languages check their implementation against
 * (test/fixtures/canonical-vectors.json; examples/python/check_vectors.py reads it). Each vector is an
 * input and what this implementation makes of it: the encoding in hex, its SHA-256 and, where a key
 * signs it, the Ed25519 signature (deterministic, so another implementation must produce the same).
 *
 * The file is written from here, never by hand: `node --import @mandate/common/loader test/support/canonical-vectors.ts`.
 * test/unit/trust/canonical-encodings.test.ts reads it back and recomputes every output, so an
 * encoding that changes breaks that test instead of silently changing what other languages must match.
 */
export const CANONICAL_VECTORS_FILE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../fixtures/canonical-vectors.json",
);

export interface CanonicalVectors {
  note: string;
  keys: { agent: VectorKey; validator: VectorKey };
  actions: Array<{ name: string; action: ProposedAction; canonical_hex: string; sha256: string; signature: string }>;
  capabilities: Array<{ name: string; capability: Omit<Capability, "signature">; canonical_hex: string }>;
  decisions: Array<{ name: string; decision: DecisionRecord; canonical_hex: string; sha256: string }>;
  /** A decision record as a validator publishes it: verifyVerdict accepts it with `validator` at `now`. */
  signed_decisions: Array<{ name: string; decision: DecisionRecord; now: number }>;
}

export interface VectorKey {
  key_id: string;
  /** PKCS#8 PEM. A test key, derived from a fixed phrase: it must never sign anything real. */
  private_key: string;
  /** SPKI PEM. */
  public_key: string;
}

/** PKCS#8 DER header of an Ed25519 private key; the 32-byte seed follows it. */
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

function testKey(keyId: string): { vector: VectorKey; key: KeyObject } {
  const seed = crypto.createHash("sha256").update(`mandate canonical test vector key ${keyId}`).digest();
  const key = crypto.createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
    format: "der",
    type: "pkcs8",
  });
  return {
    key,
    vector: {
      key_id: keyId,
      private_key: key.export({ type: "pkcs8", format: "pem" }).toString(),
      public_key: publicKeyPem(key),
    },
  };
}

const sha256 = (bytes: Buffer) => crypto.createHash("sha256").update(bytes).digest("hex");

/** The order lookup every vector starts from (unsigned); its hash is pinned in canonical-encodings.test.ts. */
export const VECTOR_ACTION: ProposedAction = {
  action_id: "0b7f5a2e-1c1d-4c55-9a3e-6f1f3b1e2a10",
  agent_id: "support-assistant",
  session_id: "session-1",
  session_task: "Where is my order A-1042?",
  tool: "lookup_order",
  operation: "read",
  resource: null,
  destination: null,
  arguments_json: '{"order_id":"A-1042"}',
  intent: "check the order status",
  proposed_at: 1_767_225_600_000,
  nonce: "6a1f0c9e2b7d4e3f8a5b1c2d3e4f5a6b",
  key_id: "support-assistant-1",
  signature: null,
};

export function buildCanonicalVectors(): CanonicalVectors {
  const agent = testKey("support-assistant-1");
  const validator = testKey("validator-1");

  const lookup = VECTOR_ACTION;
  const sign = (action: ProposedAction): ProposedAction => ({
    ...action,
    signature: signEd25519(canonicalActionBytes(action), agent.key),
  });
  const actionInputs: Array<[string, ProposedAction]> = [
    ["v1: no executor group", lookup],
    [
      "v2: names an executor group; non-ASCII text, empty and null strings",
      {
        ...lookup,
        action_id: "5d41402a-bc4b-4a76-b971-9d911017c592",
        session_task: null,
        tool: "send_email",
        operation: "send",
        resource: "",
        destination: "mail.example.com",
        arguments_json: '{"to":"zoë@example.com","body":"Grüße — 注文 A-1042 ✓"}',
        intent: null,
        proposed_at: 1_767_225_601_234,
        executor_group: "order-executor",
      },
    ],
  ];
  const actions = actionInputs.map(([name, action]) => {
    const bytes = canonicalActionBytes(action);
    return {
      name,
      action,
      canonical_hex: bytes.toString("hex"),
      sha256: sha256(bytes),
      signature: signEd25519(bytes, agent.key),
    };
  });

  const capabilityInputs: Array<[string, Omit<Capability, "signature">]> = [
    ["v1: no audience", { action_hash: actionHash(lookup), agent_id: lookup.agent_id, expires_at: 1_767_225_660_050 }],
    [
      "v2: names its audience",
      { action_hash: actionHash(lookup), agent_id: lookup.agent_id, expires_at: 1_767_225_660_050, audience: "g-1" },
    ],
  ];
  const capabilities = capabilityInputs.map(([name, capability]) => ({
    name,
    capability,
    canonical_hex: canonicalCapabilityBytes(capability).toString("hex"),
  }));

  const decisionBase: DecisionRecord = {
    decision_id: "d-1",
    action: lookup,
    verdict: "approved",
    scores: { identity: 1, scope: 0, payload: 0, alignment: 0.8125, drift: 0.1 },
    reasons: [{ axis: "drift", code: "drift.new_tool", message: "First use of lookup_order.", severity: "info" }],
    policy_version: "default@1;thresholds=builtin",
    registration_version: 3,
    validator_id: "validator-1",
    decided_at: 1_767_225_600_050,
    expires_at: 1_767_225_660_050,
    supersedes: null,
    reviewer: null,
    review_comment: null,
    redacted_arguments_json: null,
    capability: { action_hash: "ab", agent_id: "support-assistant", expires_at: 1_767_225_660_050, signature: "c2ln" },
    signature: null,
  };
  const decisionInputs: Array<[string, DecisionRecord]> = [
    ["v1: capability without audience", decisionBase],
    [
      "v1: rejected, no capability, null registration version, several reasons, negative and fractional scores",
      {
        ...decisionBase,
        decision_id: "d-2",
        action: sign(lookup),
        verdict: "rejected",
        scores: { identity: 0, scope: 1, payload: -0.5, alignment: 1e-9, drift: 0.3333333333333333 },
        reasons: [
          { axis: "scope", code: "scope.tool_not_registered", message: "Not in scope.", severity: "critical" },
          { axis: "identity", code: "identity.unsigned_agent", message: "", severity: "info" },
        ],
        registration_version: null,
        supersedes: "d-0",
        reviewer: "alice",
        review_comment: "checked — no",
        redacted_arguments_json: '{"order_id":"[REDACTED:token:0123456789ab]"}',
        capability: null,
      },
    ],
    [
      "v2: capability names its audience",
      { ...decisionBase, capability: { ...decisionBase.capability!, audience: "order-executor" } },
    ],
  ];
  const decisions = decisionInputs.map(([name, decision]) => {
    const bytes = canonicalDecisionBytes(decision);
    return { name, decision, canonical_hex: bytes.toString("hex"), sha256: sha256(bytes) };
  });

  const signedAction = sign({ ...lookup, executor_group: "order-executor" });
  const capability = {
    action_hash: actionHash(signedAction),
    agent_id: signedAction.agent_id,
    expires_at: 1_767_225_660_050,
    audience: "order-executor",
  };
  const approved: DecisionRecord = {
    ...decisionBase,
    decision_id: "d-signed-1",
    action: signedAction,
    capability: { ...capability, signature: signEd25519(canonicalCapabilityBytes(capability), validator.key) },
  };
  const signed_decisions = [
    {
      name: "approved, with a capability for executor group order-executor",
      decision: { ...approved, signature: signEd25519(canonicalDecisionBytes(approved), validator.key) },
      now: 1_767_225_600_100,
    },
  ];

  return {
    note: "Written by test/support/canonical-vectors.ts from the TypeScript implementation; do not edit by hand. The keys are test keys.",
    keys: { agent: agent.vector, validator: validator.vector },
    actions,
    capabilities,
    decisions,
    signed_decisions,
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  fs.writeFileSync(CANONICAL_VECTORS_FILE, `${JSON.stringify(buildCanonicalVectors(), null, 2)}\n`);
  process.stdout.write(`wrote ${CANONICAL_VECTORS_FILE}\n`);
}

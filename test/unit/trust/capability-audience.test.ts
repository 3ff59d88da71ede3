import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type ProposedAction,
  actionHash,
  canonicalActionBytes,
  canonicalCapabilityBytes,
  canonicalDecisionBytes,
  type DecisionRecord,
  signEd25519,
  verdictShapeRefusal,
  verifyVerdict,
} from "@mandate/contracts";
import { VerdictSigner } from "@mandate/common/verdict-signer";
import { DECIDED_AT, paymentAction, signedDecision } from "../../support/signed-decisions.js";

const decidedAt = DECIDED_AT;
const signer = VerdictSigner.create({ capabilityTtlSeconds: 30 });
const validatorKey = crypto.createPublicKey(signer.publicKeyPem);

const action = paymentAction({ executor_group: "payments" });

function approve(proposed: ProposedAction): DecisionRecord {
  return signedDecision(signer, proposed, "approved");
}

const codeFor = (record: DecisionRecord, audience?: string) => {
  const check = verifyVerdict(record, validatorKey, decidedAt + 1, audience);
  return check.ok ? "ok" : check.code;
};

describe("a capability names the executor group that may run it", () => {
  it("takes its audience from the action's executor group, and binds it under the v2 domain tags", () => {
    const record = approve(action);
    expect(record.capability?.audience).toBe("payments");
    expect(canonicalActionBytes(action).includes(Buffer.from("mandate.action.v2"))).toBe(true);
    expect(canonicalCapabilityBytes(record.capability!).includes(Buffer.from("mandate.capability.v2"))).toBe(true);
    expect(canonicalDecisionBytes(record).includes(Buffer.from("mandate.decision.v2"))).toBe(true);
    // The group is part of the action's identity: naming another group is another action.
    expect(actionHash({ ...action, executor_group: "elsewhere" })).not.toBe(actionHash(action));
  });

  it("keeps the v1 bytes for an action that names no group, so older signatures still verify", () => {
    const older: ProposedAction = { ...action };
    delete older.executor_group;
    expect(canonicalActionBytes(older)).toEqual(canonicalActionBytes({ ...action, executor_group: null }));
    expect(canonicalActionBytes(older).includes(Buffer.from("mandate.action.v1"))).toBe(true);
    const record = approve({ ...action, executor_group: null });
    expect(record.capability?.audience ?? null).toBeNull();
    expect(canonicalCapabilityBytes(record.capability!).includes(Buffer.from("mandate.capability.v1"))).toBe(true);
    expect(codeFor(record)).toBe("ok");
  });

  it("is run by its own group only; a grant naming no group is refused by every executor", () => {
    const record = approve(action);
    expect(codeFor(record, "payments")).toBe("ok");
    expect(codeFor(record, "reports")).toBe("verdict.wrong_audience");
    expect(codeFor(approve({ ...action, executor_group: null }), "payments")).toBe("verdict.wrong_audience");
  });

  it("cannot be re-addressed or stripped of its audience without breaking a signature", () => {
    const record = approve(action);
    const moved = { ...record, capability: { ...record.capability!, audience: "reports" } };
    expect(codeFor(moved, "reports")).toBe("verdict.bad_signature");
    const stripped = { ...record, capability: { ...record.capability!, audience: null } };
    expect(codeFor(stripped)).toBe("verdict.bad_signature");
    // Even with the record re-signed by someone else, the capability's own signature fails.
    const attacker = crypto.generateKeyPairSync("ed25519").privateKey;
    const reSigned = { ...moved, signature: signEd25519(canonicalDecisionBytes(moved), attacker) };
    expect(codeFor(reSigned, "reports")).toBe("verdict.bad_signature");
  });
});

describe("what is refused before any key is looked up", () => {
  it("refuses an unsigned record and a signature that cannot be Ed25519, and lets a well-formed one through", () => {
    const record = approve(action);
    expect(verdictShapeRefusal(record)).toEqual({ ok: true });
    expect(verdictShapeRefusal({ ...record, signature: null })).toMatchObject({ ok: false, code: "verdict.unsigned" });
    for (const signature of ["", "c2lnbmVk", "!".repeat(88), `${record.signature!.slice(0, 86)}=`]) {
      expect(verdictShapeRefusal({ ...record, signature })).toMatchObject({ ok: false, code: "verdict.bad_signature" });
    }
  });
});

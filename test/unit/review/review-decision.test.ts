import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { actionHash, verifyVerdict } from "@mandate/contracts";
import { REVIEW_REASON_CODES, supersedingDecision } from "@mandate/review/review-decision";
import { VerdictSigner } from "@mandate/common/verdict-signer";
import { FLAGGED_AT, flagRecord } from "./review-fixtures.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mandate-review-decision-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const reviewKey = crypto.generateKeyPairSync("ed25519");
const keyFile = path.join(dir, "review.pem");
fs.writeFileSync(keyFile, reviewKey.privateKey.export({ type: "pkcs8", format: "pem" }));
const signer = VerdictSigner.create({ signingKeyPath: keyFile, capabilityTtlSeconds: 60 });

const decidedAt = FLAGGED_AT + 120_000;
const context = { reviewServiceId: "review-1", decidedAt, decisionTtlMs: 60_000 };

describe("the record that supersedes a flag", () => {
  const flag = flagRecord({ redacted_arguments_json: '{"to":"someone@other.example","token":"[REDACTED:x:ab]"}' });

  it("an approval carries the flagged action unchanged, a capability bound to it, who and why", () => {
    const record = signer.sign(
      supersedingDecision(flag, { kind: "approved", reviewer: "alice", comment: "customer confirmed" }, context),
    );
    expect(record).toMatchObject({
      verdict: "approved",
      action: flag.action,
      supersedes: flag.decision_id,
      reviewer: "alice",
      review_comment: "customer confirmed",
      validator_id: "review-1",
      decided_at: decidedAt,
      expires_at: decidedAt + 60_000,
      scores: flag.scores,
      policy_version: flag.policy_version,
      registration_version: flag.registration_version,
      redacted_arguments_json: flag.redacted_arguments_json,
    });
    expect(record.decision_id).not.toBe(flag.decision_id);
    expect(record.reasons).toEqual([
      expect.objectContaining({ axis: "review", code: REVIEW_REASON_CODES.approved, severity: "info" }),
    ]);
    expect(record.reasons[0]?.message).not.toContain("customer confirmed");
    expect(record.capability).toMatchObject({ action_hash: actionHash(flag.action), agent_id: "desk-bot" });
    // Verified as an executor verifies a validator's record, with the review service's published key.
    expect(verifyVerdict(record, reviewKey.publicKey, decidedAt + 1000)).toEqual({ ok: true });
  });

  it("a reviewer's rejection has no capability and says who and why", () => {
    const record = signer.sign(
      supersedingDecision(flag, { kind: "rejected", reviewer: "bob", comment: "not this customer's address" }, context),
    );
    expect(record).toMatchObject({ verdict: "rejected", reviewer: "bob", capability: null });
    expect(record.reasons[0]).toMatchObject({ code: REVIEW_REASON_CODES.rejected, severity: "critical" });
    expect(verifyVerdict(record, reviewKey.publicKey, decidedAt)).toEqual({ ok: true });
  });

  it("the deadline's rejection names no reviewer and says why in its reason code", () => {
    const record = signer.sign(supersedingDecision(flag, { kind: "deadline_passed", deadlineSeconds: 900 }, context));
    expect(record).toMatchObject({ verdict: "rejected", reviewer: null, review_comment: null, capability: null });
    expect(record.reasons).toEqual([
      expect.objectContaining({ axis: "review", code: "review.deadline_passed", severity: "critical" }),
    ]);
    expect(record.reasons[0]?.message).toContain("900 s");
  });

  it("cannot be turned into an approval of another action", () => {
    const approval = signer.sign(
      supersedingDecision(flag, { kind: "approved", reviewer: "alice", comment: "ok" }, context),
    );
    const swapped = { ...approval, action: { ...approval.action, arguments_json: '{"to":"attacker@evil.example"}' } };
    expect(verifyVerdict(swapped, reviewKey.publicKey, decidedAt)).toMatchObject({
      ok: false,
      code: "verdict.action_hash_mismatch",
    });
  });
});

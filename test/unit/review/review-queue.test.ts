import { describe, expect, it } from "vitest";
import { ReviewQueue } from "@mandate/review/review-queue";
import { FLAGGED_AT, flagRecord, supersedingRecord } from "./review-fixtures.js";

const DEADLINE_MS = 15 * 60_000;
const RETENTION_MS = 60 * 60_000;

function queue(): ReviewQueue {
  return new ReviewQueue({ deadlineMs: DEADLINE_MS, retentionMs: RETENTION_MS });
}

describe("the review queue", () => {
  it("opens a review for a flag, with its deadline counted from the flag's decision", () => {
    const q = queue();
    const flag = flagRecord();
    expect(q.admit(flag)).toBe(true);
    expect(q.get(flag.decision_id)).toMatchObject({ status: "pending", deadline: FLAGGED_AT + DEADLINE_MS });
    expect(q.openCount).toBe(1);
  });

  it("ignores what is not a flag, and a flag read twice", () => {
    const q = queue();
    const flag = flagRecord();
    expect(q.admit(flagRecord({ verdict: "approved" }))).toBe(false);
    expect(q.admit(flagRecord({ verdict: "rejected" }))).toBe(false);
    expect(q.admit(flag)).toBe(true);
    expect(q.admit(flag)).toBe(false);
    expect(q.openCount).toBe(1);
  });

  it("lists open reviews nearest deadline first", () => {
    const q = queue();
    const later = flagRecord({ decided_at: FLAGGED_AT + 1000 });
    const sooner = flagRecord({ decided_at: FLAGGED_AT });
    q.admit(later);
    q.admit(sooner);
    expect(q.open().map((r) => r.flag.decision_id)).toEqual([sooner.decision_id, later.decision_id]);
  });

  it("lets one decision claim a review: a second claim, or one after settling, is refused", () => {
    const q = queue();
    const flag = flagRecord();
    q.admit(flag);
    const now = FLAGGED_AT + 1000;
    expect(q.claim(flag.decision_id, now)).toMatchObject({ ok: true });
    expect(q.claim(flag.decision_id, now)).toMatchObject({ ok: false, refusal: "deciding" });
    q.settle(flag.decision_id, {
      verdict: "approved",
      decisionId: "d-2",
      reviewer: "alice",
      comment: "ok",
      reasonCode: "review.approved",
      decidedAt: now,
    });
    expect(q.claim(flag.decision_id, now)).toMatchObject({ ok: false, refusal: "settled" });
    expect(q.claim("no-such-flag", now)).toEqual({ ok: false, refusal: "unknown" });
    expect(q.openCount).toBe(0);
  });

  it("refuses a reviewer's claim once the deadline has passed, even before the deadline run rejects it", () => {
    const q = queue();
    const flag = flagRecord();
    q.admit(flag);
    expect(q.claim(flag.decision_id, FLAGGED_AT + DEADLINE_MS)).toMatchObject({
      ok: false,
      refusal: "deadline_passed",
    });
    expect(q.get(flag.decision_id)?.status).toBe("pending");
  });

  it("hands out overdue reviews once, and not those a reviewer is deciding", () => {
    const q = queue();
    const overdue = flagRecord({ decided_at: FLAGGED_AT });
    const beingDecided = flagRecord({ decided_at: FLAGGED_AT });
    const current = flagRecord({ decided_at: FLAGGED_AT + DEADLINE_MS });
    for (const f of [overdue, beingDecided, current]) q.admit(f);
    q.claim(beingDecided.decision_id, FLAGGED_AT + DEADLINE_MS - 1);

    const now = FLAGGED_AT + DEADLINE_MS;
    expect(q.claimDue(now).map((r) => r.flag.decision_id)).toEqual([overdue.decision_id]);
    expect(q.claimDue(now)).toEqual([]);
    expect(q.get(overdue.decision_id)?.status).toBe("deciding");
    expect(q.get(current.decision_id)?.status).toBe("pending");
  });

  it("hands a review back when its decision could not be published, to be claimed again", () => {
    const q = queue();
    const flag = flagRecord();
    q.admit(flag);
    const now = FLAGGED_AT + DEADLINE_MS + 1;
    expect(q.claimDue(now)).toHaveLength(1);
    q.release(flag.decision_id);
    expect(q.get(flag.decision_id)?.status).toBe("pending");
    expect(q.claimDue(now)).toHaveLength(1);
  });

  it("closes a review when a record superseding its flag is read, and keeps the first decision", () => {
    const q = queue();
    const flag = flagRecord();
    q.admit(flag);
    const approval = supersedingRecord(flag, "approved", FLAGGED_AT + 5000);
    const lateRejection = supersedingRecord(flag, "rejected", FLAGGED_AT + 6000, null);

    expect(q.close(approval)?.settlement).toMatchObject({
      verdict: "approved",
      decisionId: approval.decision_id,
      reviewer: "alice",
      comment: "checked with the customer",
      reasonCode: "review.approved",
    });
    expect(q.close(lateRejection)).toBeUndefined();
    expect(q.get(flag.decision_id)?.settlement?.decisionId).toBe(approval.decision_id);
    expect(q.claimDue(FLAGGED_AT + DEADLINE_MS * 2)).toEqual([]);
  });

  it("ignores records that supersede nothing it holds", () => {
    const q = queue();
    expect(q.close(flagRecord({ verdict: "approved" }))).toBeUndefined();
    expect(q.close(supersedingRecord(flagRecord(), "approved", FLAGGED_AT))).toBeUndefined();
    expect(q.all()).toEqual([]);
  });

  it("a settled review stays settled when its flag is read again (a restart reads the window twice)", () => {
    const q = queue();
    const flag = flagRecord();
    q.admit(flag);
    q.close(supersedingRecord(flag, "rejected", FLAGGED_AT + 1000));
    expect(q.admit(flag)).toBe(false);
    expect(q.get(flag.decision_id)?.status).toBe("settled");
  });

  it("closes a review that the deadline run had claimed, if another decision is read first", () => {
    const q = queue();
    const flag = flagRecord();
    q.admit(flag);
    q.claimDue(FLAGGED_AT + DEADLINE_MS);
    expect(q.close(supersedingRecord(flag, "approved", FLAGGED_AT + 2000))).toBeDefined();
    // The deadline's own settlement, arriving after, does not replace it.
    expect(
      q.settle(flag.decision_id, {
        verdict: "rejected",
        decisionId: "late",
        reviewer: null,
        comment: null,
        reasonCode: "review.deadline_passed",
        decidedAt: FLAGGED_AT + DEADLINE_MS,
      }),
    ).toBeUndefined();
    expect(q.get(flag.decision_id)?.settlement?.verdict).toBe("approved");
  });

  it("forgets settled reviews after the retention, never open ones", () => {
    const q = queue();
    const settled = flagRecord();
    const open = flagRecord();
    q.admit(settled);
    q.admit(open);
    q.close(supersedingRecord(settled, "approved", FLAGGED_AT + 1000));

    expect(q.forgetSettled(FLAGGED_AT + 1000 + RETENTION_MS - 1)).toBe(0);
    expect(q.forgetSettled(FLAGGED_AT + 1000 + RETENTION_MS)).toBe(1);
    expect(q.get(settled.decision_id)).toBeUndefined();
    expect(q.get(open.decision_id)?.status).toBe("pending");
  });

  it("records an approval on a claimed review without settling it, and hands the review back", () => {
    const q = queue();
    const flag = flagRecord();
    q.admit(flag);
    const approval = { reviewer: "alice", comment: "checked", approvedAt: FLAGGED_AT + 1000 };
    q.recordApproval(flag.decision_id, approval);
    expect(q.get(flag.decision_id)?.approvals).toEqual([]);

    expect(q.claim(flag.decision_id, FLAGGED_AT + 1000).ok).toBe(true);
    q.recordApproval(flag.decision_id, approval);
    expect(q.get(flag.decision_id)).toMatchObject({ status: "pending", settlement: null, approvals: [approval] });
    expect(q.openCount).toBe(1);
    expect(q.claim(flag.decision_id, FLAGGED_AT + 2000).ok).toBe(true);
  });
});

import type { DecisionRecord, Verdict } from "@mandate/contracts";

/**
 * `pending`: waiting for a reviewer. `deciding`: a decision on it is being published (by a reviewer
 * or by the deadline), so nobody else may decide it meanwhile. `settled`: a record superseding the
 * flag exists; the flag is closed for good.
 */
export type ReviewStatus = "pending" | "deciding" | "settled";

/** How a review ended: the record that superseded the flag. */
export interface ReviewSettlement {
  verdict: Verdict;
  /** The superseding record's `decision_id`. */
  decisionId: string;
  /** The reviewer token's name; null when nobody decided (the deadline passed). */
  reviewer: string | null;
  comment: string | null;
  /** The superseding record's review reason, e.g. `review.deadline_passed`. */
  reasonCode: string | null;
  decidedAt: number;
}

/** An approval recorded but not published: the first of the two a two-person tool needs. */
export interface RecordedApproval {
  reviewer: string;
  comment: string;
  approvedAt: number;
}

export interface Review {
  /** The flagged decision record, as the validator signed it. */
  flag: DecisionRecord;
  /** After this instant the flag is rejected unless a reviewer decided it. */
  deadline: number;
  status: ReviewStatus;
  settlement: ReviewSettlement | null;
  /**
   * Approvals given but not published yet (a tool that needs two reviewers). NOTE: held in memory
   * only, so a restart forgets them and the flag needs two approvals again: that fails closed.
   */
  approvals: RecordedApproval[];
}

/** Why a review cannot be decided now. */
export type ClaimRefusal = "unknown" | "settled" | "deciding" | "deadline_passed";

export type Claim = { ok: true; review: Review } | { ok: false; refusal: ClaimRefusal; review?: Review };

export interface ReviewQueueOptions {
  /** How long after its flag a review may be decided. */
  deadlineMs: number;
  /** How long a settled review is remembered (to answer "already decided"), from its settlement. */
  retentionMs: number;
}

/**
 * The flags waiting for a human, keyed by the flagged record's `decision_id`. Pure bookkeeping, no
 * I/O: the review service feeds it the decision topic (flags open reviews, records whose
 * `supersedes` names a flag close them) and asks it which reviews a reviewer or the deadline may
 * decide.
 *
 * NOTE: the first decision on a flag wins. A review is claimed (`deciding`) before its superseding
 * record is published, so a reviewer's click and the deadline cannot both publish one; a settled
 * review is never reopened or settled again, so reading the topic back (our own records, or the
 * whole window after a restart) changes nothing that is already decided.
 *
 * Memory: a flag stays at most its deadline plus the retention, so the queue holds about
 * flag rate × (deadline + retention) reviews; the deadline is what bounds it.
 */
export class ReviewQueue {
  private readonly reviews = new Map<string, Review>();

  constructor(private readonly options: ReviewQueueOptions) {}

  /** Opens a review for a flagged record; false when it is not a flag or is already known. */
  admit(flag: DecisionRecord): boolean {
    if (flag.verdict !== "flagged" || this.reviews.has(flag.decision_id)) return false;
    this.reviews.set(flag.decision_id, {
      flag,
      deadline: flag.decided_at + this.options.deadlineMs,
      status: "pending",
      settlement: null,
      approvals: [],
    });
    return true;
  }

  /**
   * Closes the review `record` supersedes, if it is open. Returns the review it closed; undefined
   * when `record` supersedes nothing queued or the review was settled already (first decision wins).
   */
  close(record: DecisionRecord): Review | undefined {
    if (record.supersedes === null) return undefined;
    const review = this.reviews.get(record.supersedes);
    if (!review || review.status === "settled") return undefined;
    return this.settle(record.supersedes, settlementOf(record));
  }

  get(decisionId: string): Review | undefined {
    return this.reviews.get(decisionId);
  }

  /** Reviews not settled yet, the nearest deadline first. */
  open(): Review[] {
    return [...this.reviews.values()].filter((r) => r.status !== "settled").sort(byDeadline);
  }

  /** Every review remembered: open ones and those settled within the retention, the nearest deadline first. */
  all(): Review[] {
    return [...this.reviews.values()].sort(byDeadline);
  }

  get openCount(): number {
    let count = 0;
    for (const review of this.reviews.values()) if (review.status !== "settled") count += 1;
    return count;
  }

  /** Takes a pending review for a reviewer's decision; refused when unknown, decided, being decided or past its deadline. */
  claim(decisionId: string, now: number): Claim {
    const review = this.reviews.get(decisionId);
    if (!review) return { ok: false, refusal: "unknown" };
    if (review.status !== "pending") return { ok: false, refusal: review.status, review };
    if (review.deadline <= now) return { ok: false, refusal: "deadline_passed", review };
    review.status = "deciding";
    return { ok: true, review };
  }

  /** Takes every pending review whose deadline has passed, for the deadline's rejection. */
  claimDue(now: number): Review[] {
    const due = [...this.reviews.values()].filter((r) => r.status === "pending" && r.deadline <= now);
    for (const review of due) review.status = "deciding";
    return due.sort(byDeadline);
  }

  /**
   * Records an approval on a claimed review without settling it and hands the review back (pending),
   * for a tool that needs a second reviewer's approval before one is published.
   */
  recordApproval(decisionId: string, approval: RecordedApproval): void {
    const review = this.reviews.get(decisionId);
    if (review?.status !== "deciding") return;
    review.approvals.push(approval);
    review.status = "pending";
  }

  /** Hands a claimed review back (its decision could not be published): it is pending again. */
  release(decisionId: string): void {
    const review = this.reviews.get(decisionId);
    if (review?.status === "deciding") review.status = "pending";
  }

  /** Records how a review ended; a review already settled keeps its first settlement (returns undefined). */
  settle(decisionId: string, settlement: ReviewSettlement): Review | undefined {
    const review = this.reviews.get(decisionId);
    if (!review || review.status === "settled") return undefined;
    review.status = "settled";
    review.settlement = settlement;
    return review;
  }

  /** Forgets settled reviews older than the retention; returns how many. */
  forgetSettled(now: number): number {
    let forgotten = 0;
    for (const [id, review] of this.reviews) {
      if (review.settlement && review.settlement.decidedAt + this.options.retentionMs <= now) {
        this.reviews.delete(id);
        forgotten += 1;
      }
    }
    return forgotten;
  }
}

/** What a superseding record says about the review it closes. */
export function settlementOf(record: DecisionRecord): ReviewSettlement {
  return {
    verdict: record.verdict,
    decisionId: record.decision_id,
    reviewer: record.reviewer,
    comment: record.review_comment,
    reasonCode: record.reasons.find((r) => r.axis === "review")?.code ?? null,
    decidedAt: record.decided_at,
  };
}

function byDeadline(a: Review, b: Review): number {
  return a.deadline - b.deadline || a.flag.decision_id.localeCompare(b.flag.decision_id);
}

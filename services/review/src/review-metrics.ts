import { Counter, Gauge, Histogram } from "prom-client";
import { ServiceMetrics } from "@mandate/common/service-metrics";

/** What the review service adds to the shared metrics. */
export class ReviewMetrics extends ServiceMetrics {
  readonly reviews = new Counter({
    name: "mandate_reviews_total",
    help: "Flags settled by this service, by outcome: approved, rejected (by a reviewer), deadline_passed.",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly pending = new Gauge({
    name: "mandate_reviews_pending",
    help: "Flagged actions waiting for a reviewer.",
    registers: [this.registry],
  });
  readonly reviewWait = new Histogram({
    name: "mandate_review_wait_seconds",
    help: "From the flag to the decision that superseded it (a reviewer's or the deadline's).",
    buckets: [5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 14_400, 86_400],
    registers: [this.registry],
  });
  readonly publishFailures = new Counter({
    name: "mandate_review_publish_failures_total",
    help: "Superseding decisions the broker did not acknowledge; the review stays open and is retried or decided again.",
    registers: [this.registry],
  });
  readonly ignoredRecords = new Counter({
    name: "mandate_review_records_ignored_total",
    help: "Decision records ignored because their signature does not verify with a published key: flag_unverified (not queued), close_unverified (closes nothing).",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly firstApprovals = new Counter({
    name: "mandate_review_first_approvals_total",
    help: "Approvals recorded on a flag of a two-person tool, waiting for a second reviewer's.",
    registers: [this.registry],
  });
  readonly refusedRequests = new Counter({
    name: "mandate_review_requests_refused_total",
    help: "Review API requests refused, by HTTP status (401, 403, 400, 404, 409, 503, ...).",
    labelNames: ["status"] as const,
    registers: [this.registry],
  });

  constructor() {
    super("review");
  }
}

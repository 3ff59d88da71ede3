import type { KeyObject } from "node:crypto";
import type { AddressInfo } from "node:net";
import { Partitioners, type Producer } from "kafkajs";
import {
  canonicalDecisionBytes,
  type DecisionRecord,
  ed25519PublicKey,
  verifyEd25519,
  openContracts,
  type MandateContracts,
} from "@mandate/contracts";
import { createKafka } from "@mandate/sdk/kafka/kafka-client";
import { createLogger, type Logger } from "@mandate/common/logger";
import { TopicFollower } from "@mandate/sdk/kafka/topic-follower";
import { prepareTopics } from "@mandate/common/topics";
import { ValidatorKeyDirectory } from "@mandate/sdk/kafka/validator-key-directory";
import { VerdictSigner } from "@mandate/common/verdict-signer";
import { AgentDirectory } from "@mandate/sdk/kafka/agent-directory";
import type { ReviewConfig } from "./review-config.js";
import { supersedingDecision, type ReviewOutcome } from "./review-decision.js";
import { ReviewHttp, type DecideResult, type ReviewDesk, type ReviewerDecision } from "./review-http.js";
import { ReviewMetrics } from "./review-metrics.js";
import { ReviewQueue, settlementOf, type Review } from "./review-queue.js";
import { ReviewerTokens } from "./reviewer-tokens.js";

/** How long a flag from a validator whose key this service has not seen yet waits for it, once per validator. */
const VALIDATOR_KEY_GRACE_MS = 2_000;

/**
 * Holds flagged actions for a human. It follows the decision topic: a genuine flag opens a review
 * with a deadline, and a record whose `supersedes` names a flag closes it. A reviewer decides
 * through the API (review-http.ts); the deadline rejects what nobody decided. Either way the
 * result is a new decision record that supersedes the flag, signed with this service's own key,
 * which it publishes on the validator-keys topic under its id before anything else: executors
 * verify it exactly like a validator's, and an approval carries a capability bound to the flagged
 * action, so the waiting executor runs it (once) and nothing else.
 *
 * Restart: the queue lives only in memory and is rebuilt from the decision topic, read back
 * `lookbackSeconds` (at least the deadline) at start; every flag still open lies in that window,
 * and so does every record that settled one. Nothing is decided until that read is complete.
 *
 * NOTE: run one instance per `reviewServiceId`. Within one instance a review is claimed before its
 * decision is published, so a reviewer and the deadline never both decide a flag; two instances
 * would each apply the deadline (both would reject, which is safe, but twice).
 *
 * Trust: only records whose signature verifies with a published key count. A flag opens a review
 * only if its validator signed it, so someone able to write the decision topic cannot put an action
 * of their choosing in front of a reviewer, whose approval this service would sign. A record that
 * supersedes a flag closes its review only if a validator or a review service signed it: a forged,
 * unsigned one would otherwise end the review and put a made-up reviewer's name on the decision.
 * Both kinds of forgery are ignored, logged and counted (`mandate_review_records_ignored_total`).
 *
 * Reach: a reviewer sees and decides only the flags of agents whose registration `owner` is one of
 * their token's teams (reviewer-tokens.ts); owners come from the registry topic (AgentDirectory).
 * Tools listed in `twoPersonTools` need two different reviewers' approvals before one is published.
 */
export class ReviewService implements ReviewDesk {
  readonly logger: Logger;
  readonly metrics = new ReviewMetrics();
  private readonly queue: ReviewQueue;
  private readonly signer: VerdictSigner;
  private readonly tokens: ReviewerTokens;
  private contracts: MandateContracts | undefined;
  private producer: Producer | undefined;
  private validatorKeys: ValidatorKeyDirectory | undefined;
  private owners: AgentDirectory | undefined;
  /**
   * This service's own keys: the one it signs with and the one published under its id before it
   * started. NOTE: with a generated (development) key, each start publishes a new one and the
   * directory keeps only the latest; remembering the previous one lets a restart still trust the
   * records the last run published. Records older than that need MANDATE_REVIEW_SIGNING_KEY.
   */
  private ownKeys: KeyObject[] = [];
  private follower: TopicFollower<DecisionRecord> | undefined;
  private http: ReviewHttp | undefined;
  private httpAddress: AddressInfo | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private deadlineRun: Promise<void> | undefined;
  private caughtUp = false;
  /** Set while the broker refuses our decisions; /readyz answers 503 until one is acknowledged again. */
  private publishFailing = false;
  private stopping = false;

  constructor(private readonly config: ReviewConfig) {
    this.logger = createLogger("review", config.logLevel).child({ review_service_id: config.reviewServiceId });
    this.tokens = ReviewerTokens.fromFile(config.tokensFile);
    this.signer = VerdictSigner.create(config);
    this.queue = new ReviewQueue({
      deadlineMs: config.reviewDeadlineSeconds * 1000,
      retentionMs: config.lookbackSeconds * 1000,
    });
  }

  async start(): Promise<void> {
    const { config } = this;
    const kafka = createKafka(config, `mandate-review-${config.reviewServiceId}`, this.logger);
    await prepareTopics(kafka, config.topics, config, this.logger);

    const contracts = await openContracts(config, config.topics);
    this.contracts = contracts;
    this.validatorKeys = new ValidatorKeyDirectory(
      kafka,
      config.topics.validatorKeys,
      contracts.validatorKey,
      this.logger,
    );
    await this.validatorKeys.start();
    this.owners = new AgentDirectory(kafka, config.topics.registry, contracts.registration, this.logger);
    await this.owners.start();
    const previousKey = this.validatorKeys.get(config.reviewServiceId);
    this.ownKeys = [ed25519PublicKey(this.signer.publicKeyPem), ...(previousKey ? [previousKey] : [])];
    // Before any decision: an executor can only trust a decision whose signer it knows.
    await this.signer.publishKey(
      kafka,
      config.topics.validatorKeys,
      contracts.validatorKey,
      config.reviewServiceId,
      "MANDATE_REVIEW_SIGNING_KEY",
      this.logger,
    );
    // NOTE: the partitioner the validator's producer uses (kafkajs's default), so a superseding record
    // lands on its flag's partition (key = agent_id) and every consumer reads the flag first.
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await this.producer.connect();

    // The queue is state derived from the decision topic: a flag opens a review, a record that
    // supersedes it closes it.
    this.follower = new TopicFollower(
      kafka,
      config.topics.decisions,
      contracts.decision,
      (record) => this.take(record),
      this.logger,
      "decision",
    );
    const rebuildStarted = Date.now();
    await this.follower.start(() => Date.now() - config.lookbackSeconds * 1000);
    this.caughtUp = true;
    this.logger.info(
      {
        event: "review_queue_rebuilt",
        open: this.queue.openCount,
        lookback_seconds: config.lookbackSeconds,
        duration_ms: Date.now() - rebuildStarted,
      },
      "review queue rebuilt from the decision topic",
    );

    this.http = new ReviewHttp(this, this.tokens, this.metrics, this.logger);
    this.httpAddress = await this.http.listen(config.httpPort, config.httpHost);
    // Flags whose deadline passed while the service was down are rejected now, the rest when it passes.
    this.deadlineTimer = setInterval(() => this.applyDeadlines(), config.deadlineCheckIntervalMs);
    this.applyDeadlines();
    if (this.tokens.withoutTeams.length > 0) {
      this.logger.warn(
        { event: "review_token_all_teams", reviewers: this.tokens.withoutTeams },
        'tokens without teams reach every team\'s flags; give each its teams (or ["*"] to mean it)',
      );
    }
    this.logger.info(
      {
        event: "review_started",
        tokens: this.tokens.size,
        deadline_seconds: config.reviewDeadlineSeconds,
        two_person_tools: config.twoPersonTools,
      },
      "review service started",
    );
  }

  /** The port of the review API (and /healthz, /readyz, /metrics), once listening. */
  get httpPort(): number | undefined {
    return this.httpAddress?.port;
  }

  /**
   * Stop taking decisions (the API finishes the requests it has, publishes included), let a deadline
   * run finish, then stop following the topic and disconnect. Whatever was acknowledged is published;
   * a review still open stays on the topic as its flag and is found again at the next start.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.caughtUp = false;
    clearInterval(this.deadlineTimer);
    await this.http?.close();
    await this.deadlineRun;
    await this.follower?.stop();
    await this.producer?.disconnect();
    await this.validatorKeys?.stop();
    await this.owners?.stop();
  }

  // ReviewDesk: what the API calls.

  ready(): boolean {
    return this.caughtUp && !this.publishFailing;
  }

  reviews(scope: "open" | "all"): Review[] {
    return scope === "open" ? this.queue.open() : this.queue.all();
  }

  review(decisionId: string): Review | undefined {
    return this.queue.get(decisionId);
  }

  ownerOf(review: Review): string | undefined {
    return this.owners?.get(review.flag.action.agent_id)?.owner;
  }

  approvalsNeeded(review: Review): number {
    return this.config.twoPersonTools.includes(review.flag.action.tool) ? 2 : 1;
  }

  async decide(decisionId: string, decision: ReviewerDecision): Promise<DecideResult> {
    if (!this.caughtUp) return { ok: false, refusal: "not_ready" };
    const now = Date.now();
    const claim = this.queue.claim(decisionId, now);
    if (!claim.ok) return { ok: false, refusal: claim.refusal };
    const { review } = claim;
    let outcome: ReviewOutcome = { kind: decision.verdict, reviewer: decision.reviewer, comment: decision.comment };
    if (decision.verdict === "approved" && this.approvalsNeeded(review) > 1) {
      const [first] = review.approvals;
      if (first === undefined) {
        this.queue.recordApproval(decisionId, {
          reviewer: decision.reviewer,
          comment: decision.comment,
          approvedAt: now,
        });
        this.metrics.firstApprovals.inc();
        this.logger.info(
          {
            event: "review_first_approval",
            decision_id: decisionId,
            agent_id: review.flag.action.agent_id,
            tool: review.flag.action.tool,
            reviewer: decision.reviewer,
          },
          `first approval by ${decision.reviewer}; ${review.flag.action.tool} needs a second reviewer`,
        );
        return { ok: true, review, record: null };
      }
      if (first.reviewer === decision.reviewer) {
        this.queue.release(decisionId);
        return { ok: false, refusal: "same_reviewer" };
      }
      // Both names and both comments go on the record: the trail shows who approved, and why.
      outcome = {
        kind: "approved",
        reviewer: `${first.reviewer}, ${decision.reviewer}`,
        comment: `${first.reviewer}: ${first.comment}\n${decision.reviewer}: ${decision.comment}`,
      };
    }
    const record = await this.publishDecision(review, outcome);
    this.logger.info(
      {
        event: "review_decided",
        decision_id: record.decision_id,
        supersedes: decisionId,
        agent_id: record.action.agent_id,
        action_id: record.action.action_id,
        verdict: record.verdict,
        reviewer: decision.reviewer,
      },
      `review ${record.verdict} by ${decision.reviewer}`,
    );
    return { ok: true, review, record };
  }

  // Following the decision topic.

  private async take(record: DecisionRecord): Promise<void> {
    if (record.supersedes !== null) await this.takeClosing(record, record.supersedes);
    if (record.verdict === "flagged" && this.queue.get(record.decision_id) === undefined) {
      if (await this.isGenuine(record)) {
        this.queue.admit(record);
        this.logger.debug(
          { event: "review_queued", decision_id: record.decision_id, agent_id: record.action.agent_id },
          "flag queued for review",
        );
      } else {
        this.metrics.ignoredRecords.inc({ reason: "flag_unverified" });
        this.logger.warn(
          { event: "review_flag_unverified", decision_id: record.decision_id, validator_id: record.validator_id },
          "flag not signed by a known validator key; not queued, so it never runs",
        );
      }
    }
    this.metrics.pending.set(this.queue.openCount);
  }

  /**
   * Closes the review `record` supersedes, if it is open and `record` is genuine. A record naming no
   * open review changes nothing and is not checked (verifying costs a signature check per record).
   */
  private async takeClosing(record: DecisionRecord, flagId: string): Promise<void> {
    const review = this.queue.get(flagId);
    if (!review || review.status === "settled") return;
    if (!(await this.isGenuine(record))) {
      this.metrics.ignoredRecords.inc({ reason: "close_unverified" });
      this.logger.warn(
        {
          event: "review_close_unverified",
          decision_id: record.decision_id,
          supersedes: flagId,
          validator_id: record.validator_id,
        },
        "record superseding a flag not signed by a known validator or review key; ignored, the review stays open",
      );
      return;
    }
    const closed = this.queue.close(record);
    if (closed) {
      this.logger.debug(
        { event: "review_closed", decision_id: flagId, by: record.decision_id, verdict: record.verdict },
        "review closed by a superseding decision",
      );
    }
  }

  /**
   * Whether a record's signature verifies with the key published for its `validator_id` (a
   * validator's or a review service's), or, for this service's id, with one of its own keys. Its
   * expiry does not matter here.
   */
  private async isGenuine(record: DecisionRecord): Promise<boolean> {
    const { signature } = record;
    if (signature === null) return false;
    const directory = this.validatorKeys as ValidatorKeyDirectory;
    const published = await directory.keyFor(record.validator_id, VALIDATOR_KEY_GRACE_MS);
    const keys = [
      ...(published ? [published] : []),
      ...(record.validator_id === this.config.reviewServiceId ? this.ownKeys : []),
    ];
    const bytes = canonicalDecisionBytes(record);
    return keys.some((key) => verifyEd25519(bytes, signature, key));
  }

  // The deadline.

  /**
   * Rejects every open flag past its deadline. Runs on a timer, one run at a time.
   *
   * NOTE: a failed publish is not swallowed: the review is handed back (still open, still overdue, so
   * the next run retries it), the failure is counted, and /readyz answers 503 until the broker
   * acknowledges again. Meanwhile the flag still cannot run: no executor acts on a flag.
   */
  private applyDeadlines(): void {
    if (!this.caughtUp || this.stopping || this.deadlineRun) return;
    this.deadlineRun = this.rejectOverdue().finally(() => {
      this.deadlineRun = undefined;
    });
  }

  private async rejectOverdue(): Promise<void> {
    const now = Date.now();
    const deadlineSeconds = this.config.reviewDeadlineSeconds;
    const due = this.queue.claimDue(now);
    for (const [i, review] of due.entries()) {
      try {
        const record = await this.publishDecision(review, { kind: "deadline_passed", deadlineSeconds });
        this.logger.info(
          {
            event: "review_deadline_passed",
            decision_id: record.decision_id,
            supersedes: review.flag.decision_id,
            agent_id: record.action.agent_id,
            action_id: record.action.action_id,
          },
          "nobody decided the flag in time; rejected",
        );
      } catch (error) {
        // The failed one is released already; the rest this run claimed go back too, for the next run.
        for (const rest of due.slice(i + 1)) this.queue.release(rest.flag.decision_id);
        this.logger.error(
          { event: "review_publish_failed", supersedes: review.flag.decision_id, err: error },
          "deadline rejection not acknowledged; retried on the next run",
        );
        return;
      }
    }
    this.queue.forgetSettled(now);
    this.metrics.pending.set(this.queue.openCount);
  }

  /**
   * Signs and publishes the record that supersedes `review`'s flag, then settles the review. The
   * review must be claimed; if the broker does not acknowledge, the claim is released (the review is
   * open again) and the error thrown.
   *
   * NOTE: kafkajs's idempotent producer retries inside send, so an error here means the broker never
   * acknowledged the record. Should it still have been written, reading it back closes the review
   * (queue.close), and a second decision on the same flag can only follow if someone decides it in
   * between; executors run an action at most once either way.
   */
  private async publishDecision(review: Review, outcome: ReviewOutcome): Promise<DecisionRecord> {
    const { config } = this;
    const flagId = review.flag.decision_id;
    const now = Date.now();
    const record = this.signer.sign(
      supersedingDecision(review.flag, outcome, {
        reviewServiceId: config.reviewServiceId,
        decidedAt: now,
        decisionTtlMs: config.decisionTtlSeconds * 1000,
      }),
    );
    try {
      await (this.producer as Producer).send({
        topic: config.topics.decisions,
        acks: -1,
        messages: [
          { key: record.action.agent_id, value: (this.contracts as MandateContracts).decision.encode(record) },
        ],
      });
    } catch (error) {
      this.queue.release(flagId);
      this.publishFailing = true;
      this.metrics.publishFailures.inc();
      throw error;
    }
    this.publishFailing = false;
    this.queue.settle(flagId, settlementOf(record));
    this.metrics.reviews.inc({ outcome: outcome.kind });
    this.metrics.reviewWait.observe(Math.max(0, now - review.flag.decided_at) / 1000);
    this.metrics.pending.set(this.queue.openCount);
    return record;
  }
}

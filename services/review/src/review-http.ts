import http from "node:http";
import type { AddressInfo } from "node:net";
import type { DecisionRecord } from "@mandate/contracts";
import type { Logger } from "@mandate/common/logger";
import type { ReviewMetrics } from "./review-metrics.js";
import type { ClaimRefusal, Review } from "./review-queue.js";
import { ALL_TEAMS, mayReview, type Reviewer, type ReviewerTokens } from "./reviewer-tokens.js";

/** A reviewer's decision on one review, as the API takes it. */
export interface ReviewerDecision {
  verdict: "approved" | "rejected";
  reviewer: string;
  comment: string;
}

/** Why a decision was refused: the queue's reasons, or a second approval by the reviewer who gave the first. */
export type DecideRefusal = ClaimRefusal | "not_ready" | "same_reviewer";

/** `record` null: an approval recorded on a two-person tool's flag, waiting for a second reviewer's. */
export type DecideResult =
  { ok: true; review: Review; record: DecisionRecord | null } | { ok: false; refusal: DecideRefusal };

/** What the API needs from the review service. */
export interface ReviewDesk {
  /** Caught up with the decision topic and able to publish. */
  ready(): boolean;
  reviews(scope: "open" | "all"): Review[];
  review(decisionId: string): Review | undefined;
  /** The registration `owner` of the flagged agent; undefined when the service does not know it. */
  ownerOf(review: Review): string | undefined;
  /** How many different reviewers must approve before an approval is published: 1, or 2 for a two-person tool. */
  approvalsNeeded(review: Review): number;
  /** Publishes the superseding decision; throws when the broker did not acknowledge it. */
  decide(decisionId: string, decision: ReviewerDecision): Promise<DecideResult>;
}

/** Larger request bodies are refused unread: a comment is a few sentences. */
const MAX_BODY_BYTES = 16 * 1024;
const MAX_COMMENT_CHARS = 4000;

/** A request the API refuses, with the status and a stable code for clients. */
class Refusal {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly message: string,
    readonly headers: Record<string, string> = {},
  ) {}
}

/**
 * The review API, with /healthz, /readyz and /metrics on the same port (as ServiceHttp serves them
 * for the other services):
 *
 * - `GET /reviews[?status=open|all]`: the open reviews (all: also those settled recently), nearest deadline first
 * - `GET /reviews/:decisionId`: one review, with the action's (redacted) arguments and every reason
 * - `POST /reviews/:decisionId/approve|reject` with `{"comment": "…"}`: decide it (reviewer role only)
 *
 * Every /reviews request needs `Authorization: Bearer <token>` (401 without a known one); deciding
 * needs the reviewer role (403). A token reaches only its teams' flags: the list leaves the others
 * out, and showing or deciding one is refused (403 `not_your_team`). The first approval of a
 * two-person tool's flag answers 202 with no decision: it waits for a different reviewer's.
 * Errors are JSON `{"error": {"code", "message"}}`. Tokens are never logged; neither are comments
 * (they are in the published record).
 */
export class ReviewHttp {
  private readonly server: http.Server;

  constructor(
    private readonly desk: ReviewDesk,
    private readonly tokens: ReviewerTokens,
    private readonly metrics: ReviewMetrics,
    private readonly logger: Logger,
  ) {
    this.server = http.createServer((request, response) => void this.answer(request, response));
  }

  async listen(port: number, host: string): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    this.logger.info({ event: "http_listening", port: address.port }, "review API up");
    return address;
  }

  /** Stops accepting connections and resolves once the requests in progress (and their publishes) are done. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async answer(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    try {
      await this.route(request, response);
    } catch (error) {
      if (error instanceof Refusal) {
        this.metrics.refusedRequests.inc({ status: String(error.status) });
        sendJson(response, error.status, { error: { code: error.code, message: error.message } }, error.headers);
        return;
      }
      this.logger.error({ event: "review_request_failed", err: error }, "review request failed");
      this.metrics.refusedRequests.inc({ status: "500" });
      if (!response.headersSent) {
        sendJson(response, 500, { error: { code: "internal", message: "the request failed; see the service log" } });
      }
    }
  }

  private async route(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://review.invalid");
    const path = url.pathname;
    if (path === "/healthz") return sendText(response, 200, "ok\n");
    if (path === "/readyz")
      return this.desk.ready() ? sendText(response, 200, "ready\n") : sendText(response, 503, "not ready\n");
    if (path === "/metrics") {
      const registry = this.metrics.registry;
      return sendText(response, 200, await registry.metrics(), registry.contentType);
    }

    const match = /^\/reviews(?:\/([^/]+)(?:\/(approve|reject))?)?\/?$/.exec(path);
    if (!match) throw new Refusal(404, "not_found", `no endpoint ${path}`);
    const [, rawId, decision] = match;
    const method = decision ? "POST" : "GET";
    if (request.method !== method) {
      throw new Refusal(405, "method_not_allowed", `${path} takes ${method}`, { allow: method });
    }
    const reviewer = this.authenticate(request);
    const id = rawId === undefined ? undefined : decodeId(rawId);

    if (!decision) {
      if (id === undefined) {
        const scope = url.searchParams.get("status") ?? "open";
        if (scope !== "open" && scope !== "all") throw new Refusal(400, "invalid_request", "status is open or all");
        const now = Date.now();
        const reviews = this.desk
          .reviews(scope)
          .filter((r) => mayReview(reviewer, this.desk.ownerOf(r)))
          .map((r) => reviewSummary(this.view(r), now));
        return sendJson(response, 200, { reviews });
      }
      const review = id === null ? undefined : this.desk.review(id);
      if (!review) throw new Refusal(404, "review_not_found", `no review for decision ${rawId}`);
      this.checkTeam(reviewer, review);
      return sendJson(response, 200, { review: reviewDetail(this.view(review), Date.now()) });
    }

    if (reviewer.role !== "reviewer") {
      throw new Refusal(403, "forbidden", `${reviewer.name} has the ${reviewer.role} role; deciding needs reviewer`);
    }
    const review = id === null || id === undefined ? undefined : this.desk.review(id);
    if (!review || id === null || id === undefined) {
      throw new Refusal(404, "review_not_found", `no review for decision ${rawId}`);
    }
    this.checkTeam(reviewer, review);
    const comment = commentOf(await readJsonBody(request));
    const verdict = decision === "approve" ? "approved" : "rejected";

    let result: DecideResult;
    try {
      result = await this.desk.decide(id, { verdict, reviewer: reviewer.name, comment });
    } catch (error) {
      this.logger.error(
        { event: "review_publish_failed", decision_id: id, reviewer: reviewer.name, err: error },
        "the superseding decision was not acknowledged; the review is open again",
      );
      throw new Refusal(
        503,
        "publish_failed",
        "the decision could not be published; the review is still open, try again",
      );
    }
    if (!result.ok) throw refusalFor(result.refusal, id);
    const detail = reviewDetail(this.view(result.review), Date.now());
    if (result.record === null) {
      // Recorded, not published: nothing runs until a different reviewer approves too.
      return sendJson(response, 202, { review: detail, decision: null, awaiting: "second_approval" });
    }
    sendJson(response, 200, { review: detail, decision: decisionView(result.record) });
  }

  /** Refuses (403) a reviewer whose token's teams do not include the flagged agent's owner. */
  private checkTeam(reviewer: Reviewer, review: Review): void {
    const owner = this.desk.ownerOf(review);
    if (mayReview(reviewer, owner)) return;
    throw new Refusal(
      403,
      "not_your_team",
      owner === undefined
        ? `the owner of agent ${review.flag.action.agent_id} is not known to the review service; only a reviewer for every team ("${ALL_TEAMS}") may review its flags`
        : `agent ${review.flag.action.agent_id} belongs to ${owner}; ${reviewer.name} reviews only ${reviewer.teams.join(", ")}`,
    );
  }

  private view(review: Review): ReviewView {
    return { review, owner: this.desk.ownerOf(review) ?? null, approvalsNeeded: this.desk.approvalsNeeded(review) };
  }

  /** The token's reviewer; a missing or unknown token is refused with 401. */
  private authenticate(request: http.IncomingMessage): Reviewer {
    const header = request.headers.authorization ?? "";
    const match = /^Bearer +(\S+) *$/i.exec(header);
    const reviewer = match ? this.tokens.authenticate(match[1] as string) : undefined;
    if (!reviewer) {
      this.logger.warn(
        { event: "review_auth_failed", token_presented: match !== null, remote: request.socket.remoteAddress },
        "review API request without a known token",
      );
      throw new Refusal(
        401,
        "unauthorized",
        match ? "the bearer token is not known" : "an Authorization: Bearer <token> header is required",
        { "www-authenticate": 'Bearer realm="mandate-review"' },
      );
    }
    return reviewer;
  }
}

/** A review with what the desk knows about it beyond the queue. */
interface ReviewView {
  review: Review;
  owner: string | null;
  approvalsNeeded: number;
}

function refusalFor(refusal: DecideRefusal, id: string): Refusal {
  switch (refusal) {
    case "same_reviewer":
      return new Refusal(
        409,
        "second_reviewer_required",
        `review ${id} already has your approval; its tool needs a second approval from a different reviewer`,
      );
    case "unknown":
      return new Refusal(404, "review_not_found", `no review for decision ${id}`);
    case "settled":
      return new Refusal(409, "already_decided", `review ${id} is already decided`);
    case "deciding":
      return new Refusal(409, "being_decided", `a decision on review ${id} is being published`);
    case "deadline_passed":
      return new Refusal(409, "deadline_passed", `the deadline of review ${id} has passed; it is being rejected`);
    case "not_ready":
      return new Refusal(
        503,
        "not_ready",
        "the review queue is still being rebuilt from the decision topic; try again",
      );
  }
}

/** A path segment as an id; null when it is not valid percent-encoding (no review can have that id). */
function decodeId(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

async function readJsonBody(request: http.IncomingMessage): Promise<unknown> {
  const declared = Number(request.headers["content-length"] ?? 0);
  if (declared > MAX_BODY_BYTES)
    throw new Refusal(413, "body_too_large", `the body may be at most ${MAX_BODY_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new Refusal(413, "body_too_large", `the body may be at most ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Refusal(400, "invalid_json", 'the body is not JSON; send {"comment": "why"}');
  }
}

/** The required comment: why the reviewer decided as they did. */
function commentOf(body: unknown): string {
  const comment =
    typeof body === "object" && body !== null && "comment" in body ? (body as { comment: unknown }).comment : undefined;
  if (typeof comment !== "string" || comment.trim() === "") {
    throw new Refusal(400, "comment_required", 'a comment is required: {"comment": "why you decide so"}');
  }
  if (comment.length > MAX_COMMENT_CHARS) {
    throw new Refusal(400, "comment_too_long", `the comment may be at most ${MAX_COMMENT_CHARS} characters`);
  }
  return comment.trim();
}

function reviewStatus(review: Review): string {
  return review.settlement?.verdict ?? review.status;
}

/** One line of the queue. */
function reviewSummary({ review, owner, approvalsNeeded }: ReviewView, now: number) {
  const { flag } = review;
  return {
    decision_id: flag.decision_id,
    status: reviewStatus(review),
    agent_id: flag.action.agent_id,
    owner,
    action_id: flag.action.action_id,
    tool: flag.action.tool,
    operation: flag.action.operation,
    destination: flag.action.destination,
    reason_codes: flag.reasons.map((r) => r.code),
    flagged_at: new Date(flag.decided_at).toISOString(),
    deadline: new Date(review.deadline).toISOString(),
    seconds_left: review.status === "settled" ? null : Math.max(0, Math.floor((review.deadline - now) / 1000)),
    decided_by: review.settlement ? (review.settlement.reviewer ?? review.settlement.reasonCode) : null,
    approvals_needed: approvalsNeeded,
    /** Approvals recorded but not (yet) published: the first of a two-person tool's two. */
    approved_by: review.approvals.map((a) => a.reviewer),
  };
}

/** Everything a reviewer needs to decide: the action (arguments with secrets redacted) and every reason. */
function reviewDetail(view: ReviewView, now: number) {
  const { review } = view;
  const { flag } = review;
  const { action } = flag;
  return {
    ...reviewSummary(view, now),
    session_id: action.session_id,
    session_task: action.session_task,
    resource: action.resource,
    intent: action.intent,
    arguments_json: flag.redacted_arguments_json ?? action.arguments_json,
    proposed_at: new Date(action.proposed_at).toISOString(),
    reasons: flag.reasons,
    scores: flag.scores,
    approvals: review.approvals.map((a) => ({
      reviewer: a.reviewer,
      comment: a.comment,
      approved_at: new Date(a.approvedAt).toISOString(),
    })),
    validator_id: flag.validator_id,
    policy_version: flag.policy_version,
    registration_version: flag.registration_version,
    decision: review.settlement
      ? {
          decision_id: review.settlement.decisionId,
          verdict: review.settlement.verdict,
          reviewer: review.settlement.reviewer,
          comment: review.settlement.comment,
          reason_code: review.settlement.reasonCode,
          decided_at: new Date(review.settlement.decidedAt).toISOString(),
        }
      : null,
  };
}

function decisionView(record: DecisionRecord) {
  return {
    decision_id: record.decision_id,
    verdict: record.verdict,
    supersedes: record.supersedes,
    reviewer: record.reviewer,
    review_comment: record.review_comment,
    validator_id: record.validator_id,
    decided_at: new Date(record.decided_at).toISOString(),
    expires_at: new Date(record.expires_at).toISOString(),
    capability_expires_at: record.capability ? new Date(record.capability.expires_at).toISOString() : null,
  };
}

function sendJson(
  response: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  response.end(`${JSON.stringify(body)}\n`);
}

function sendText(
  response: http.ServerResponse,
  status: number,
  body: string,
  type = "text/plain; charset=utf-8",
): void {
  response.writeHead(status, { "content-type": type });
  response.end(body);
}

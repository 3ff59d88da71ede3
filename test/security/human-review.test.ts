import { execFile } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Kafka, logLevel, type Consumer, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPipeline, type RunningPipeline } from "../../infra/src/pipeline.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import {
  actionHash,
  type DecisionRecord,
  openContracts,
  type MandateContracts,
  isolatedTopics,
} from "@mandate/contracts";
import { reviewConfigSchema } from "@mandate/review/review-config";
import { ReviewService } from "@mandate/review/review-service";
import { tokenSha256 } from "@mandate/review/reviewer-tokens";
import { GovernancePublisher, MandateAgent, MandateExecutor, type ExecutionOutcome } from "@mandate/sdk";
import { agentKey } from "../support/agent-keys.js";
import { testRegistration } from "../support/registrations.js";
import { reviewApi, type ReviewApiAnswer } from "../support/review-api.js";
import { isolatedDatabase, sharedStack } from "../support/shared-stack.js";
import { SINGLE_BROKER_TOPIC_SETTINGS } from "../../infra/src/pipeline.js";

/**
 * Long enough to decide a flag through the API and the CLI on a busy two-core machine (a CLI reject
 * took 13.5 s under the full suite's load, past a 12 s deadline), short enough to watch one pass.
 */
const DEADLINE_SECONDS = 30;

/**
 * Flagged actions are held for a human: a reviewer's approval (a new signed record superseding the
 * flag) runs the action exactly once; a rejection, or nobody deciding before the deadline, never
 * runs it. Only a reviewer's token may decide, with a comment, and each flag is decided once.
 */
describe("human review of flagged actions", () => {
  const stack = sharedStack("server");
  const topics = isolatedTopics("review");
  const database = isolatedDatabase("review");
  const connection = { kafkaBrokers: stack.kafkaBrokers, schemaRegistryUrl: stack.schemaRegistryUrl, topics };
  const key = agentKey("desk-bot-1");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mandate-review-test-"));
  const tokensFile = path.join(dir, "reviewers.yaml");
  const aliceToken = crypto.randomBytes(32).toString("base64url");
  const victorToken = crypto.randomBytes(32).toString("base64url");
  const outcomes: ExecutionOutcome[] = [];
  /** Action ids in the order the executor's tool ran them. */
  const ran: string[] = [];
  /** Every record on the decision topic, as an executor would read it. */
  const records: DecisionRecord[] = [];
  let pipeline: RunningPipeline;
  let review: ReviewService;
  let contracts: MandateContracts;
  let agent: MandateAgent;
  let executor: MandateExecutor;
  let watcher: Consumer;
  let producer: Producer;

  beforeAll(async () => {
    fs.writeFileSync(
      tokensFile,
      `- name: alice
  role: reviewer
  teams: [test-team]
  token_sha256: ${tokenSha256(aliceToken)}
- name: victor
  role: viewer
  teams: ["*"]
  token_sha256: ${tokenSha256(victorToken)}
`,
    );
    pipeline = await startPipeline(stack, {
      topics,
      database,
      logLevel: "silent",
      review: { tokensFile, reviewDeadlineSeconds: DEADLINE_SECONDS, deadlineCheckIntervalMs: 200 },
    });
    review = pipeline.review as ReviewService;
    contracts = await openContracts(stack, topics);
    const publisher = await GovernancePublisher.connect(connection);
    await publisher.publish({ ...testRegistration("desk-bot"), keys: [key.registered] });
    await publisher.close();
    await waitUntil("registration", async () => pipeline.validators[0]?.registrationVersion("desk-bot") === 1);

    const kafka = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING });
    watcher = kafka.consumer({ groupId: `watcher-${database}`, readUncommitted: false });
    await watcher.connect();
    await watcher.subscribe({ topic: topics.decisions, fromBeginning: true });
    await watcher.run({
      eachMessage: async ({ message }) => void records.push(await contracts.decision.decode(message.value)),
    });
    producer = kafka.producer();
    await producer.connect();

    executor = await MandateExecutor.start({
      ...connection,
      groupId: `executor-${database}`,
      agents: ["desk-bot"],
      tools: { send_email: async (action) => void ran.push(action.action_id) },
      onOutcome: (o) => outcomes.push(o),
    });
    agent = await MandateAgent.connect({
      ...connection,
      agentId: "desk-bot",
      executorGroup: `executor-${database}`,
      signingKey: key.signingKey,
    });
  });

  afterAll(async () => {
    await agent?.close();
    await executor?.stop();
    await producer?.disconnect();
    await watcher?.disconnect();
    if (review !== pipeline?.review) await review?.stop();
    await pipeline?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A reply to an address nothing in the session explains: in scope, but flagged for a human. */
  async function proposeFlagged(note: string): Promise<DecisionRecord> {
    const flag = await agent.propose(
      {
        tool: "send_email",
        operation: "send",
        destination: "mail.example.com",
        arguments: { to: `someone-${note}@other.example`, body: `About your order: ${note}` },
        intent: "reply to the customer",
      },
      { timeoutMs: 20_000 },
    );
    expect(flag.verdict).toBe("flagged");
    // The executor has the flag and refuses it: nothing runs until a reviewer decides.
    expect(await outcomeOf(flag.decision_id)).toMatchObject({ outcome: "refused", code: "verdict.not_approved" });
    return flag;
  }

  async function outcomeOf(decisionId: string): Promise<ExecutionOutcome> {
    const find = () => outcomes.find((o) => o.decisionId === decisionId);
    await waitUntil(`the executor's outcome for decision ${decisionId}`, async () => find() !== undefined);
    return find() as ExecutionOutcome;
  }

  async function recordSuperseding(flagId: string, timeoutMs = 60_000): Promise<DecisionRecord> {
    const find = () => records.find((r) => r.supersedes === flagId);
    await waitUntil(`a record superseding ${flagId}`, async () => find() !== undefined, { timeoutMs });
    return find() as DecisionRecord;
  }

  async function api(
    method: "GET" | "POST",
    route: string,
    token: string | undefined,
    body?: unknown,
    service: ReviewService = review,
  ): Promise<ReviewApiAnswer> {
    return reviewApi(service, method, route, token, body);
  }

  async function cli(...args: string[]): Promise<{ stdout: string; stderr: string }> {
    return promisify(execFile)(process.execPath, ["services/cli/bin/mandate.mjs", "review", ...args], {
      env: {
        ...process.env,
        MANDATE_REVIEW_URL: `http://127.0.0.1:${review.httpPort}`,
        MANDATE_REVIEW_TOKEN: aliceToken,
      },
    });
  }

  it("a reviewer's approval is a signed record superseding the flag, and the action runs exactly once", async () => {
    const flag = await proposeFlagged("approve");
    const { action_id: actionId } = flag.action;

    const queued = await api("GET", "/reviews", victorToken);
    expect(queued.status).toBe(200);
    expect(queued.body.reviews).toContainEqual(
      expect.objectContaining({ decision_id: flag.decision_id, status: "pending", action_id: actionId }),
    );
    const shown = await api("GET", `/reviews/${flag.decision_id}`, victorToken);
    expect(shown.body.review).toMatchObject({
      deadline: new Date(flag.decided_at + DEADLINE_SECONDS * 1000).toISOString(),
      arguments_json: flag.action.arguments_json,
      reasons: flag.reasons,
    });

    const approved = await api("POST", `/reviews/${flag.decision_id}/approve`, aliceToken, {
      comment: "The customer asked for the reply to go to this address.",
    });
    expect(approved.status).toBe(200);
    const approvalId = (approved.body.decision as { decision_id: string }).decision_id;

    expect(await outcomeOf(approvalId)).toMatchObject({ outcome: "executed", actionId });
    const approval = await recordSuperseding(flag.decision_id);
    expect(approval).toMatchObject({
      decision_id: approvalId,
      verdict: "approved",
      action: flag.action,
      reviewer: "alice",
      review_comment: "The customer asked for the reply to go to this address.",
      validator_id: expect.stringMatching(/^review-/),
      reasons: [expect.objectContaining({ axis: "review", code: "review.approved" })],
    });
    expect(approval.capability).toMatchObject({ action_hash: actionHash(flag.action), agent_id: "desk-bot" });
    expect(approval.signature).not.toBeNull();

    // Decided once: a second decision is refused, and a replayed approval does not run it again.
    expect((await api("POST", `/reviews/${flag.decision_id}/approve`, aliceToken, { comment: "again" })).status).toBe(
      409,
    );
    expect(
      (await api("POST", `/reviews/${flag.decision_id}/reject`, aliceToken, { comment: "no" })).body.error,
    ).toEqual(expect.objectContaining({ code: "already_decided" }));
    await producer.send({
      topic: topics.decisions,
      acks: -1,
      messages: [{ key: "desk-bot", value: contracts.decision.encode(approval) }],
    });
    await waitUntil("the replayed approval to be refused", async () =>
      outcomes.some((o) => o.decisionId === approvalId && o.code === "action.already_executed"),
    );
    expect(ran.filter((id) => id === actionId)).toHaveLength(1);
    expect(records.filter((r) => r.supersedes === flag.decision_id && r.decision_id !== approvalId)).toEqual([]);
  });

  it("a reviewer's rejection (through the CLI) supersedes the flag, and the action never runs", async () => {
    const flag = await proposeFlagged("reject");
    const listed = await cli("list");
    expect(listed.stdout).toContain(flag.decision_id);
    const why = flag.reasons.find((r) => r.severity === "suspicious")?.code as string;
    expect((await cli("show", flag.decision_id)).stdout).toContain(why);

    const rejected = await cli("reject", flag.decision_id, "--comment", "Not an address this customer uses.");
    expect(rejected.stdout).toContain(`rejected by alice`);
    const rejection = await recordSuperseding(flag.decision_id);
    expect(rejection).toMatchObject({
      verdict: "rejected",
      reviewer: "alice",
      review_comment: "Not an address this customer uses.",
      capability: null,
      reasons: [expect.objectContaining({ code: "review.rejected" })],
    });
    expect(await outcomeOf(rejection.decision_id)).toMatchObject({ outcome: "refused", code: "verdict.not_approved" });
    expect(ran).not.toContain(flag.action.action_id);
    await expect(cli("approve", flag.decision_id, "--comment", "changed my mind")).rejects.toMatchObject({
      stderr: expect.stringContaining("HTTP 409"),
    });
  });

  it("a flag nobody decides is rejected at its deadline with review.deadline_passed, and never runs", async () => {
    const flag = await proposeFlagged("deadline");
    const expiry = await recordSuperseding(flag.decision_id, (DEADLINE_SECONDS + 30) * 1000);
    expect(expiry.decided_at).toBeGreaterThanOrEqual(flag.decided_at + DEADLINE_SECONDS * 1000);
    expect(expiry).toMatchObject({
      verdict: "rejected",
      reviewer: null,
      review_comment: null,
      capability: null,
      reasons: [expect.objectContaining({ axis: "review", code: "review.deadline_passed", severity: "critical" })],
    });
    expect(await outcomeOf(expiry.decision_id)).toMatchObject({ outcome: "refused", code: "verdict.not_approved" });
    expect(ran).not.toContain(flag.action.action_id);

    const late = await api("POST", `/reviews/${flag.decision_id}/approve`, aliceToken, { comment: "too late" });
    expect(late.status).toBe(409);
    const shown = await api("GET", `/reviews/${flag.decision_id}`, aliceToken);
    expect(shown.body.review).toMatchObject({
      status: "rejected",
      decision: expect.objectContaining({ reason_code: "review.deadline_passed", reviewer: null }),
    });
  });

  it("only a known reviewer token decides, with a comment, and only reviews that exist and are open", async () => {
    const flag = await proposeFlagged("auth");
    const decide = `/reviews/${flag.decision_id}/approve`;
    const comment = { comment: "fine" };

    const anonymous = await api("POST", decide, undefined, comment);
    expect(anonymous).toMatchObject({ status: 401, body: { error: { code: "unauthorized" } } });
    expect((await api("GET", "/reviews", undefined)).status).toBe(401);
    expect((await api("POST", decide, "not-a-known-token", comment)).status).toBe(401);

    expect(await api("POST", decide, victorToken, comment)).toMatchObject({
      status: 403,
      body: { error: { code: "forbidden" } },
    });
    expect((await api("POST", `/reviews/${flag.decision_id}/reject`, victorToken, comment)).status).toBe(403);

    for (const body of [undefined, {}, { comment: "   " }, { comment: 42 }, "not json"]) {
      expect((await api("POST", decide, aliceToken, body)).status).toBe(400);
    }
    expect(await api("POST", `/reviews/${crypto.randomUUID()}/approve`, aliceToken, comment)).toMatchObject({
      status: 404,
      body: { error: { code: "review_not_found" } },
    });
    expect((await api("GET", `/reviews/${crypto.randomUUID()}`, victorToken)).status).toBe(404);

    // None of that decided anything: the review is still open, nothing ran.
    expect((await api("GET", `/reviews/${flag.decision_id}`, victorToken)).body.review).toMatchObject({
      status: "pending",
    });
    expect(records.some((r) => r.supersedes === flag.decision_id)).toBe(false);
    expect(ran).not.toContain(flag.action.action_id);
    expect((await api("POST", `/reviews/${flag.decision_id}/reject`, aliceToken, comment)).status).toBe(200);
  });

  it("a restarted review service rebuilds the queue from the topic: open reviews stay open, decided ones decided", async () => {
    const decidedBefore = records.find((r) => r.reviewer === "alice" && r.verdict === "approved") as DecisionRecord;
    const flag = await proposeFlagged("restart");
    await review.stop();
    review = new ReviewService(
      reviewConfigSchema.parse({
        ...connection,
        ...SINGLE_BROKER_TOPIC_SETTINGS,
        logLevel: "silent",
        httpPort: 0,
        httpHost: "127.0.0.1",
        tokensFile,
        reviewDeadlineSeconds: DEADLINE_SECONDS,
        reviewServiceId: decidedBefore.validator_id,
      }),
    );
    await review.start();

    expect((await api("GET", `/reviews/${flag.decision_id}`, victorToken)).body.review).toMatchObject({
      status: "pending",
    });
    const settled = await api("GET", `/reviews/${decidedBefore.supersedes}`, victorToken);
    expect(settled.body.review).toMatchObject({ status: "approved", decided_by: "alice" });
    expect(
      (await api("POST", `/reviews/${decidedBefore.supersedes}/reject`, aliceToken, { comment: "again" })).status,
    ).toBe(409);

    const approved = await api("POST", `/reviews/${flag.decision_id}/approve`, aliceToken, { comment: "verified" });
    expect(approved.status).toBe(200);
    const approvalId = (approved.body.decision as { decision_id: string }).decision_id;
    expect(await outcomeOf(approvalId)).toMatchObject({ outcome: "executed" });
    expect(ran.filter((id) => id === flag.action.action_id)).toHaveLength(1);
  });

  it("counts reviews by outcome and the open ones in /metrics", async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${review.httpPort}/metrics`)).text();
    expect(metrics).toContain('mandate_reviews_total{outcome="approved",service="review"} 1');
    expect(metrics).toMatch(/mandate_reviews_pending\{service="review"\} \d/);
    expect((await fetch(`http://127.0.0.1:${review.httpPort}/readyz`)).status).toBe(200);
  });
});

import { execFile } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Kafka, logLevel, Partitioners, type Consumer, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "../../infra/src/wait-until.js";
import {
  actionHash,
  type DecisionRecord,
  openContracts,
  type MandateContracts,
  isolatedTopics,
} from "@mandate/contracts";
import { createLogger } from "@mandate/common/logger";
import { VerdictSigner } from "@mandate/common/verdict-signer";
import { reviewConfigSchema } from "@mandate/review/review-config";
import { ReviewService } from "@mandate/review/review-service";
import { tokenSha256 } from "@mandate/review/reviewer-tokens";
import { testRegistration } from "../support/registrations.js";
import { reviewApi, type ReviewApiAnswer } from "../support/review-api.js";
import { sharedStack } from "../support/shared-stack.js";
import { flagRecord, supersedingRecord } from "../unit/review/review-fixtures.js";
import { SINGLE_BROKER_TOPIC_SETTINGS } from "../../infra/src/pipeline.js";

const VALIDATOR_ID = "validator-review-trust";

/**
 * What the review service trusts, against a real broker and schema registry. The flags are signed
 * here with a validator key published on the validator-keys topic, so every case is exact: only a
 * signed record closes a review, a reviewer reaches only their teams' flags, and a two-person
 * tool's approval needs two different reviewers.
 */
describe("review service trust", () => {
  const stack = sharedStack("server");
  const topics = isolatedTopics("review-trust");
  const connection = { kafkaBrokers: stack.kafkaBrokers, schemaRegistryUrl: stack.schemaRegistryUrl, topics };
  const reviewServiceId = `review-${topics.actions}`.replace(/[^A-Za-z0-9._-]/g, "-");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mandate-review-trust-"));
  const tokensFile = path.join(dir, "reviewers.yaml");
  const tokens = {
    alice: crypto.randomBytes(32).toString("base64url"),
    bob: crypto.randomBytes(32).toString("base64url"),
    olga: crypto.randomBytes(32).toString("base64url"),
    root: crypto.randomBytes(32).toString("base64url"),
  };
  const validator = VerdictSigner.create({ capabilityTtlSeconds: 60 });
  /** Every record on the decision topic. */
  const records: DecisionRecord[] = [];
  let review: ReviewService;
  let contracts: MandateContracts;
  let watcher: Consumer;
  let producer: Producer;

  beforeAll(async () => {
    fs.writeFileSync(
      tokensFile,
      `- name: alice
  role: reviewer
  teams: [payments]
  token_sha256: ${tokenSha256(tokens.alice)}
- name: bob
  role: reviewer
  teams: [payments, support]
  token_sha256: ${tokenSha256(tokens.bob)}
- name: olga
  role: reviewer
  teams: [ops]
  token_sha256: ${tokenSha256(tokens.olga)}
- name: root
  role: reviewer
  teams: ["*"]
  token_sha256: ${tokenSha256(tokens.root)}
`,
    );
    review = new ReviewService(
      reviewConfigSchema.parse({
        ...connection,
        ...SINGLE_BROKER_TOPIC_SETTINGS,
        logLevel: "silent",
        httpPort: 0,
        httpHost: "127.0.0.1",
        tokensFile,
        reviewServiceId,
        reviewDeadlineSeconds: 600,
        twoPersonTools: ["wire_transfer"],
      }),
    );
    await review.start();
    contracts = await openContracts(stack, topics);
    const kafka = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING });
    await validator.publishKey(
      kafka,
      topics.validatorKeys,
      contracts.validatorKey,
      VALIDATOR_ID,
      "MANDATE_VALIDATOR_SIGNING_KEY",
      createLogger("test", "silent"),
    );
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    for (const [agentId, owner] of [
      ["pay-bot", "payments"],
      ["ops-bot", "ops"],
    ] as const) {
      await producer.send({
        topic: topics.registry,
        acks: -1,
        messages: [{ key: agentId, value: contracts.registration.encode({ ...testRegistration(agentId), owner }) }],
      });
    }

    watcher = kafka.consumer({ groupId: `watcher-${topics.decisions}` });
    await watcher.connect();
    await watcher.subscribe({ topic: topics.decisions, fromBeginning: true });
    await watcher.run({
      eachMessage: async ({ message }) => void records.push(await contracts.decision.decode(message.value)),
    });
  });

  afterAll(async () => {
    await watcher?.disconnect();
    await producer?.disconnect();
    await review?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function publish(record: DecisionRecord): Promise<void> {
    await producer.send({
      topic: topics.decisions,
      acks: -1,
      messages: [{ key: record.action.agent_id, value: contracts.decision.encode(record) }],
    });
  }

  /** A flag the validator signed, for `agentId`'s `tool`, once the review service has queued it. */
  async function flag(agentId: string, tool = "send_email"): Promise<DecisionRecord> {
    const base = flagRecord();
    const now = Date.now();
    // sign() replaces the fixture's capability and signature.
    const signed = validator.sign(
      flagRecord({
        action: { ...base.action, agent_id: agentId, tool, proposed_at: now - 5 },
        validator_id: VALIDATOR_ID,
        decided_at: now,
        expires_at: now + 60_000,
      }),
    );
    await publish(signed);
    await waitUntil(`flag ${signed.decision_id} queued`, async () => {
      const listed = await api("GET", "/reviews", tokens.root);
      return (listed.body.reviews as Array<{ decision_id: string; owner: string | null }>).some(
        (r) => r.decision_id === signed.decision_id && (agentId === "stray-bot" || r.owner !== null),
      );
    });
    return signed;
  }

  async function api(method: "GET" | "POST", route: string, token: string, body?: unknown): Promise<ReviewApiAnswer> {
    return reviewApi(review, method, route, token, body);
  }

  async function metric(name: string): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${review.httpPort}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith(name));
    return line === undefined ? 0 : Number(line.split(" ").pop());
  }

  function listedIds(answer: ReviewApiAnswer): string[] {
    return (answer.body.reviews as Array<{ decision_id: string }>).map((r) => r.decision_id);
  }

  it("a forged closing record (unsigned, or signed with a key nobody published) neither closes the review nor names its reviewer", async () => {
    const flagged = await flag("pay-bot");
    const ignoredBefore = await metric('mandate_review_records_ignored_total{reason="close_unverified"');
    const unsigned: DecisionRecord = {
      ...supersedingRecord(flagged, "approved", Date.now(), "mallory"),
      validator_id: reviewServiceId,
      capability: null,
      signature: null,
    };
    const badlySigned = VerdictSigner.create({ capabilityTtlSeconds: 60 }).sign({
      ...supersedingRecord(flagged, "rejected", Date.now(), "mallory"),
      validator_id: reviewServiceId,
    });
    await publish(unsigned);
    await publish(badlySigned);
    // Read by the service: either ignored (counted) or, were it trusted, closing the review.
    await waitUntil("both forgeries to be read", async () => {
      const ignored = await metric('mandate_review_records_ignored_total{reason="close_unverified"');
      const status = (await api("GET", `/reviews/${flagged.decision_id}`, tokens.alice)).body.review as {
        status: string;
      };
      return ignored >= ignoredBefore + 2 || status.status !== "pending";
    });
    expect(await metric('mandate_review_records_ignored_total{reason="close_unverified"')).toBe(ignoredBefore + 2);

    const shown = await api("GET", `/reviews/${flagged.decision_id}`, tokens.alice);
    expect(shown.body.review).toMatchObject({ status: "pending", decided_by: null, decision: null });
    expect(listedIds(await api("GET", "/reviews", tokens.alice))).toContain(flagged.decision_id);

    // The real reviewer still decides, and the record names them.
    const approved = await api("POST", `/reviews/${flagged.decision_id}/approve`, tokens.alice, {
      comment: "Checked with the customer.",
    });
    expect(approved.status).toBe(200);
    expect(approved.body.review).toMatchObject({
      status: "approved",
      decided_by: "alice",
      decision: expect.objectContaining({ reviewer: "alice", comment: "Checked with the customer." }),
    });
    const approvalId = (approved.body.decision as { decision_id: string }).decision_id;
    await waitUntil("the approval on the topic", async () => records.some((r) => r.decision_id === approvalId));
    expect(records.find((r) => r.decision_id === approvalId)).toMatchObject({
      verdict: "approved",
      reviewer: "alice",
      validator_id: reviewServiceId,
      supersedes: flagged.decision_id,
    });
  });

  it("a reviewer lists, shows and decides only their teams' flags; '*' reaches every team and unknown owners", async () => {
    const payments = await flag("pay-bot");
    const ops = await flag("ops-bot");
    const stray = await flag("stray-bot");

    const alicesList = listedIds(await api("GET", "/reviews", tokens.alice));
    expect(alicesList).toContain(payments.decision_id);
    expect(alicesList).not.toContain(ops.decision_id);
    expect(alicesList).not.toContain(stray.decision_id);
    const olgasList = listedIds(await api("GET", "/reviews?status=all", tokens.olga));
    expect(olgasList).toContain(ops.decision_id);
    expect(olgasList).not.toContain(payments.decision_id);
    expect(listedIds(await api("GET", "/reviews", tokens.root))).toEqual(
      expect.arrayContaining([payments.decision_id, ops.decision_id, stray.decision_id]),
    );

    const crossTeam = await api("POST", `/reviews/${payments.decision_id}/approve`, tokens.olga, { comment: "ok" });
    expect(crossTeam.status).toBe(403);
    expect(crossTeam.body.error).toMatchObject({ code: "not_your_team" });
    expect(crossTeam.body.error?.message).toContain("belongs to payments; olga reviews only ops");
    expect((await api("GET", `/reviews/${payments.decision_id}`, tokens.olga)).status).toBe(403);
    const unknownOwner = await api("POST", `/reviews/${stray.decision_id}/reject`, tokens.alice, { comment: "no" });
    expect(unknownOwner).toMatchObject({ status: 403, body: { error: { code: "not_your_team" } } });
    expect(unknownOwner.body.error?.message).toContain("not known to the review service");

    // None of that decided anything; each team's reviewer (and '*') still can.
    expect((await api("GET", `/reviews/${payments.decision_id}`, tokens.alice)).body.review).toMatchObject({
      status: "pending",
      owner: "payments",
    });
    expect(records.some((r) => r.supersedes === payments.decision_id)).toBe(false);
    expect((await api("POST", `/reviews/${ops.decision_id}/reject`, tokens.olga, { comment: "no" })).status).toBe(200);
    expect((await api("POST", `/reviews/${stray.decision_id}/reject`, tokens.root, { comment: "no" })).status).toBe(
      200,
    );
    expect((await api("POST", `/reviews/${payments.decision_id}/reject`, tokens.bob, { comment: "no" })).status).toBe(
      200,
    );
  });

  it("a two-person tool: the first approval is recorded, not published; a second reviewer's publishes it", async () => {
    const flagged = await flag("pay-bot", "wire_transfer");
    const first = await api("POST", `/reviews/${flagged.decision_id}/approve`, tokens.alice, {
      comment: "The invoice matches the order.",
    });
    expect(first).toMatchObject({ status: 202, body: { decision: null, awaiting: "second_approval" } });
    expect(first.body.review).toMatchObject({ status: "pending", approvals_needed: 2, approved_by: ["alice"] });

    const again = await api("POST", `/reviews/${flagged.decision_id}/approve`, tokens.alice, { comment: "really" });
    expect(again).toMatchObject({ status: 409, body: { error: { code: "second_reviewer_required" } } });
    expect(records.some((r) => r.supersedes === flagged.decision_id)).toBe(false);

    const second = await api("POST", `/reviews/${flagged.decision_id}/approve`, tokens.bob, {
      comment: "Payee confirmed by phone.",
    });
    expect(second.status).toBe(200);
    expect(second.body.decision).toMatchObject({ verdict: "approved", reviewer: "alice, bob" });
    const approvalId = (second.body.decision as { decision_id: string }).decision_id;
    await waitUntil("the approval on the topic", async () => records.some((r) => r.decision_id === approvalId));
    const approval = records.find((r) => r.decision_id === approvalId) as DecisionRecord;
    expect(approval).toMatchObject({
      verdict: "approved",
      reviewer: "alice, bob",
      review_comment: "alice: The invoice matches the order.\nbob: Payee confirmed by phone.",
    });
    expect(approval.capability).toMatchObject({ action_hash: actionHash(flagged.action), agent_id: "pay-bot" });
    // Only the second approval published anything.
    expect(records.filter((r) => r.supersedes === flagged.decision_id)).toHaveLength(1);
    expect(await metric("mandate_review_first_approvals_total")).toBeGreaterThanOrEqual(1);
  });

  it("a two-person tool through the CLI: the first approval says it waits for a second reviewer", async () => {
    const flagged = await flag("pay-bot", "wire_transfer");
    const cli = (token: string, comment: string) =>
      promisify(execFile)(
        process.execPath,
        ["services/cli/bin/mandate.mjs", "review", "approve", flagged.decision_id, "--comment", comment],
        {
          env: {
            ...process.env,
            MANDATE_REVIEW_URL: `http://127.0.0.1:${review.httpPort}`,
            MANDATE_REVIEW_TOKEN: token,
          },
        },
      );
    const first = await cli(tokens.alice, "The invoice matches the order.");
    expect(first.stdout).toContain("needs a second reviewer's approval");
    expect(records.some((r) => r.supersedes === flagged.decision_id)).toBe(false);
    const second = await cli(tokens.bob, "Payee confirmed by phone.");
    expect(second.stdout).toMatch(/^approved by alice, bob: decision \S+ supersedes flag /);
  });

  it("a two-person tool: a rejection by either reviewer rejects at once", async () => {
    const afterApproval = await flag("pay-bot", "wire_transfer");
    expect(
      (await api("POST", `/reviews/${afterApproval.decision_id}/approve`, tokens.alice, { comment: "fine" })).status,
    ).toBe(202);
    const rejected = await api("POST", `/reviews/${afterApproval.decision_id}/reject`, tokens.bob, {
      comment: "Not a payee we know.",
    });
    expect(rejected.body.decision).toMatchObject({ verdict: "rejected", reviewer: "bob" });

    const straightAway = await flag("pay-bot", "wire_transfer");
    const rejectedFirst = await api("POST", `/reviews/${straightAway.decision_id}/reject`, tokens.alice, {
      comment: "No.",
    });
    expect(rejectedFirst).toMatchObject({
      status: 200,
      body: { decision: { verdict: "rejected", reviewer: "alice" } },
    });
    // Decided: a later approval changes nothing.
    expect(
      (await api("POST", `/reviews/${straightAway.decision_id}/approve`, tokens.bob, { comment: "yes" })).status,
    ).toBe(409);
    await waitUntil("both rejections on the topic", async () =>
      [afterApproval, straightAway].every((f) => records.some((r) => r.supersedes === f.decision_id)),
    );
    expect(
      records.filter((r) => r.supersedes === afterApproval.decision_id || r.supersedes === straightAway.decision_id),
    ).toEqual([expect.objectContaining({ verdict: "rejected" }), expect.objectContaining({ verdict: "rejected" })]);
  });
});

import { execFile } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaBroker } from "../../infra/src/kafka-broker.js";
import { SINGLE_BROKER_TOPIC_SETTINGS, startPipeline, type RunningPipeline } from "../../infra/src/pipeline.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import { aclPlan, applyAclPlan, type PlannedAcl } from "@mandate/cli/acl-plan";
import { kafkaClientSecurity, type KafkaSecurity } from "@mandate/sdk/kafka/kafka-security";
import { topicSettingsSchema } from "@mandate/common/topic-settings";
import { topicsToEnv } from "@mandate/common/service-config";
import { ensureTopics } from "@mandate/common/topics";
import { isolatedTopics } from "@mandate/contracts";
import { GovernancePublisher, MandateAgent, MandateExecutor } from "@mandate/sdk";
import { testRegistration } from "../support/registrations.js";
import { tokenSha256 } from "@mandate/review/reviewer-tokens";
import { isolatedDatabase, sharedStack } from "../support/shared-stack.js";

/**
 * Kafka itself enforces the roles: a broker of its own with SASL_SSL, SCRAM and the StandardAuthorizer,
 * one principal per role and the ACLs `mandate acls apply` creates. The broker refuses an agent that
 * writes where only validators, reviewers and the platform team may; the pipeline works end to end
 * with every part on its own principal. (The registry and ClickHouse are the shared stack's: the
 * registry keeps schemas in memory, not in Kafka, and needs no principal.)
 */
/**
 * The error code the broker answered with, however kafkajs wrapped it: a refused produce request, or
 * the metadata of a topic the principal may not even see.
 */
function brokerError(error: unknown): string | undefined {
  for (let e = error as { type?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.type) return e.type;
  }
  return undefined;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function runMandate(args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [path.join(repoRoot, "services/cli/bin/mandate.mjs"), ...args],
      { cwd: repoRoot, env, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

describe("roles enforced by the broker", () => {
  const shared = sharedStack("server");
  const topics = isolatedTopics("acls");
  const database = isolatedDatabase("acls");
  const roles = ["admin", "validator", "sink", "review", "executor", "agent-1"] as const;
  const users = Object.fromEntries(roles.map((name) => [name, crypto.randomBytes(16).toString("hex")]));
  const executorGroup = `executor-${database}`;
  const validatorGroup = `mandate-validator-${topics.actions}`;
  const sinkGroup = `mandate-sink-${topics.actions}`;
  let broker: KafkaBroker;
  let plan: PlannedAcl[];
  let created: PlannedAcl[];
  let pipeline: RunningPipeline | undefined;
  let successor: RunningPipeline | undefined;
  let executor: MandateExecutor | undefined;
  let agent: MandateAgent | undefined;
  const ran: string[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mandate-acls-test-"));

  const security = (user: (typeof roles)[number]): KafkaSecurity => broker.clientSecurity(user);
  /** A bare kafkajs client that gives up at once: the broker's answer, not a retry, is what is tested. */
  const rawClient = (kafkaSecurity: KafkaSecurity) =>
    new Kafka({
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 5_000,
      ...kafkaClientSecurity(kafkaSecurity),
    });
  /** What the broker's authorizer refused so far (it logs each denial). */
  const deniedRequests = () =>
    fs
      .readFileSync(path.join(broker.dir, "broker.log"), "utf8")
      .split("\n")
      .filter((line) => line.includes(" is Denied operation "));
  const connection = () => ({
    kafkaBrokers: [broker.bootstrap],
    schemaRegistryUrl: shared.schemaRegistryUrl,
    topics,
  });

  beforeAll(async () => {
    broker = await KafkaBroker.start({ security: { users, superUsers: ["admin"] } });
    plan = aclPlan({
      topics,
      principals: {
        agent: ["agent-1"],
        validator: ["validator"],
        executor: ["executor"],
        sink: ["sink"],
        review: ["review"],
        admin: ["admin"],
      },
      validatorGroup,
      sinkGroup,
      executorGroups: [executorGroup],
    });
    const admin = rawClient(security("admin")).admin();
    await admin.connect();
    try {
      // The admin creates the topics: the services' ACLs let them check topics, not create them.
      await ensureTopics(admin, topics, topicSettingsSchema.parse(SINGLE_BROKER_TOPIC_SETTINGS));
      ({ created } = await applyAclPlan(admin, plan));
    } finally {
      await admin.disconnect();
    }
  });

  afterAll(async () => {
    // Side by side: each stop mostly waits for its consumers' fetches to end.
    await Promise.allSettled([agent?.close(), executor?.stop(), pipeline?.stop(), successor?.stop()]);
    await broker?.destroy();
    shared.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("applies the plan once: `mandate acls apply` then finds every ACL there and creates none", async () => {
    expect(created).toHaveLength(plan.length);
    const { code, stdout, stderr } = await runMandate(
      [
        "acls",
        "apply",
        ...["--agent", "agent-1", "--validator", "validator", "--executor", "executor"],
        ...["--sink", "sink", "--review", "review", "--admin", "admin"],
        ...["--validator-group", validatorGroup, "--sink-group", sinkGroup, "--executor-group", executorGroup],
      ],
      {
        ...process.env,
        ...topicsToEnv(topics),
        MANDATE_KAFKA_BROKERS: broker.bootstrap,
        MANDATE_KAFKA_TLS_CA_FILE: security("admin").tls?.caFile,
        MANDATE_KAFKA_SASL_MECHANISM: "scram-sha-512",
        MANDATE_KAFKA_SASL_USERNAME: "admin",
        MANDATE_KAFKA_SASL_PASSWORD: users.admin,
      },
    );
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toBe(`0 ACL(s) created, ${plan.length} already present\n`);
  });

  it("refuses a client without credentials, without TLS, or with a wrong password", async () => {
    // No SASL, or SASL without TLS: the listener hangs up on both.
    for (const half of [
      { tls: security("admin").tls, sasl: null },
      { tls: null, sasl: security("admin").sasl },
    ]) {
      const client = rawClient(half).admin();
      await expect(client.connect().then(() => client.listTopics())).rejects.toThrow(/Closed connection/);
      await client.disconnect();
    }
    const wrong = rawClient({
      ...security("agent-1"),
      sasl: { mechanism: "scram-sha-512", username: "agent-1", password: "not-the-password" },
    }).admin();
    await expect(wrong.connect()).rejects.toThrow(/SASL SCRAM SHA512 authentication failed/i);
    await wrong.disconnect();
  });

  it("runs the pipeline with each role on its own principal: propose, decide, execute, result, trail, a validator taking over", async () => {
    const tokensFile = path.join(dir, "reviewers.yaml");
    const token = crypto.randomBytes(32).toString("base64url");
    fs.writeFileSync(tokensFile, `- name: alice\n  role: reviewer\n  token_sha256: ${tokenSha256(token)}\n`);
    pipeline = await startPipeline(
      { ...shared, kafkaBrokers: [broker.bootstrap] },
      {
        topics,
        database,
        logLevel: "silent",
        validatorGroupId: validatorGroup,
        sinkGroupId: sinkGroup,
        // Started for its principal: it checks the topics, publishes its key and rebuilds its queue.
        review: { tokensFile },
        kafkaSecurity: {
          admin: security("admin"),
          validator: security("validator"),
          sink: security("sink"),
          review: security("review"),
        },
      },
    );
    const publisher = await GovernancePublisher.connect({ ...connection(), kafkaSecurity: security("admin") });
    await publisher.publish(testRegistration("agent-1"));
    await publisher.close();
    await waitUntil("the registration at the validator", async () => {
      return pipeline?.validators[0]?.registrationVersion("agent-1") === 1;
    });
    executor = await MandateExecutor.start({
      ...connection(),
      kafkaSecurity: security("executor"),
      groupId: executorGroup,
      agents: ["agent-1"],
      tools: {
        lookup_order: async (action, args) => {
          ran.push(action.action_id);
          return { order_id: (args as { order_id: string }).order_id, status: "shipped" };
        },
      },
    });
    agent = await MandateAgent.connect({
      ...connection(),
      kafkaSecurity: security("agent-1"),
      agentId: "agent-1",
      executorGroup,
      sessionTask: "Where is order A-1?",
    });

    const { decision, result } = await agent.run(
      { tool: "lookup_order", operation: "read", arguments: { order_id: "A-1" } },
      { timeoutMs: 30_000 },
    );
    expect(decision.verdict).toBe("approved");
    expect(result).toEqual({ output: { order_id: "A-1", status: "shipped" }, error: null, truncated: false });
    expect(ran).toEqual([decision.action.action_id]);

    const trail = pipeline.sink!.trail;
    await waitUntil("the decision and its execution in the trail", async () => {
      const rows = await trail.query({
        query: `SELECT (SELECT count() FROM ${database}.decisions WHERE action_id = '${decision.action.action_id}') AS decisions,
                       (SELECT count() FROM ${database}.executions WHERE action_id = '${decision.action.action_id}' AND outcome = 'executed') AS executions`,
        format: "JSONEachRow",
      });
      const [row] = (await rows.json()) as Array<{ decisions: string; executions: string }>;
      return Number(row?.decisions) === 1 && Number(row?.executions) === 1;
    });

    // A validator that takes over reads the agents' security state back first (its restore groups).
    await pipeline.validators[0]!.stop();
    successor = await startPipeline(
      { ...shared, clickhouse: undefined, kafkaBrokers: [broker.bootstrap] },
      {
        topics,
        database,
        logLevel: "silent",
        validatorGroupId: validatorGroup,
        kafkaSecurity: { validator: security("validator") },
      },
    );
    const next = await agent.run(
      { tool: "lookup_order", operation: "read", arguments: { order_id: "A-2" } },
      { timeoutMs: 30_000 },
    );
    expect(next.decision.verdict).toBe("approved");
    expect(next.result?.output).toEqual({ order_id: "A-2", status: "shipped" });

    // Nothing any part asked for on the way was refused, not even what a retry got past.
    expect(deniedRequests()).toEqual([]);
  });

  it("refuses an agent that writes decisions, validator keys, registrations or policies: the broker, not the code", async () => {
    const rogue = rawClient(security("agent-1")).producer();
    await rogue.connect();
    try {
      // What it may write goes through: what follows is authorization, not a broken connection.
      await rogue.send({ topic: topics.actions, acks: -1, messages: [{ key: "agent-1", value: "not an action" }] });
      for (const topic of [topics.decisions, topics.validatorKeys, topics.registry, topics.policies]) {
        const refused = await rogue
          .send({ topic, acks: -1, messages: [{ key: "agent-1", value: "forged" }] })
          .then(() => undefined)
          .catch(brokerError);
        expect(refused, topic).toBe("TOPIC_AUTHORIZATION_FAILED");
      }
      const denied = deniedRequests();
      expect(denied).toHaveLength(4);
      expect(denied.every((line) => line.includes("Principal = User:agent-1 "))).toBe(true);
    } finally {
      await rogue.disconnect();
    }
  });
});

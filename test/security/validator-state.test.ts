import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Kafka, logLevel, type Consumer, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManagedProcess } from "../../infra/src/managed-process.js";
import { SINGLE_BROKER_TOPIC_SETTINGS } from "../../infra/src/pipeline.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import {
  ACTION_ID_HEADER,
  type ProposedAction,
  type DecisionRecord,
  openContracts,
  type AgentRegistration,
  isolatedTopics,
  actionSigner,
  signAction,
} from "@mandate/contracts";
import { topicsToEnv } from "@mandate/common/service-config";
import { ensureTopics } from "@mandate/common/topics";
import type { DecisionEngine } from "@mandate/validator/decision-engine";
import { MandateDecisionEngine } from "@mandate/validator/mandate-decision-engine";
import { validatorConfigSchema } from "@mandate/validator/validator-config";
import { ValidatorService } from "@mandate/validator/validator-service";
import { GovernancePublisher } from "@mandate/sdk";
import { agentKey } from "../support/agent-keys.js";
import { testRegistration } from "../support/registrations.js";
import { sharedStack } from "../support/shared-stack.js";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const SESSION_TIMEOUT_MS = 6000;

/**
 * The validator's security state survives what used to wipe it: a signed action replayed after the
 * validator restarted, or after the agent's partition moved to another validator, is refused; a rate
 * limit holds across a restart. And a validator paused past its session timeout (a "zombie") cannot
 * commit a second decision for an action its successor decided. Against the real broker and registry.
 */
describe("validator state across restarts and rebalances", () => {
  const stack = sharedStack("server");
  const key = agentKey("state-bot-1");
  const signer = actionSigner(key.signingKey);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mandate-validator-state-"));
  const kafka = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING });
  const running: Array<{ stop(): Promise<void> }> = [];
  let producer: Producer;

  beforeAll(async () => {
    producer = kafka.producer();
    await producer.connect();
  });

  afterAll(async () => {
    await Promise.allSettled(running.map((r) => r.stop()));
    await producer?.disconnect();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** One scenario's own topics, group, registered agent and committed-decision log. */
  async function scenario(tag: string, rateLimitPerMinute: number | null = null) {
    const topics = isolatedTopics(`state-${tag}`);
    const groupId = `validators-${topics.actions}`;
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, topics, { actionPartitions: 6, ...SINGLE_BROKER_TOPIC_SETTINGS });
    await admin.disconnect();
    const base = testRegistration("state-bot");
    const registration: AgentRegistration = {
      ...base,
      keys: [key.registered],
      scope: { ...base.scope, rate_limit_per_minute: rateLimitPerMinute },
    };
    const publisher = await GovernancePublisher.connect({ ...stack, topics });
    await publisher.publish(registration);
    await publisher.close();
    const contracts = await openContracts(stack, topics);
    const decisions: DecisionRecord[] = [];
    const log: Consumer = kafka.consumer({ groupId: `state-log-${crypto.randomUUID()}` });
    await log.connect();
    await log.subscribe({ topic: topics.decisions, fromBeginning: true });
    await log.run({
      eachMessage: async ({ message }) => void decisions.push(await contracts.decision.decode(message.value)),
    });
    running.push({ stop: () => log.disconnect() });
    return { topics, groupId, contracts, decisions };
  }

  type Scenario = Awaited<ReturnType<typeof scenario>>;

  async function startValidator(s: Scenario, id: string, engine?: DecisionEngine): Promise<ValidatorService> {
    const validator = new ValidatorService(
      validatorConfigSchema.parse({
        kafkaBrokers: stack.kafkaBrokers,
        schemaRegistryUrl: stack.schemaRegistryUrl,
        topics: s.topics,
        logLevel: "silent",
        ...SINGLE_BROKER_TOPIC_SETTINGS,
        validatorId: id,
        groupId: s.groupId,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        transactionTimeoutMs: 10_000,
      }),
      engine,
    );
    await validator.start();
    running.push(validator);
    await waitUntil(`${id} to know state-bot`, async () => validator.registrationVersion("state-bot") === 1);
    return validator;
  }

  async function stopValidator(validator: ValidatorService): Promise<void> {
    await validator.stop();
    running.splice(running.indexOf(validator), 1);
  }

  function signedAction(overrides: Partial<ProposedAction> = {}): ProposedAction {
    return signAction(
      {
        action_id: crypto.randomUUID(),
        agent_id: "state-bot",
        session_id: "s-1",
        session_task: "Where is order A-1?",
        tool: "lookup_order",
        operation: "read",
        resource: null,
        destination: null,
        arguments_json: JSON.stringify({ order_id: "A-1" }),
        intent: "check the order",
        proposed_at: Date.now(),
        nonce: crypto.randomBytes(16).toString("hex"),
        signature: null,
        executor_group: null,
        ...overrides,
      },
      signer,
    );
  }

  /** What an attacker who saw an envelope on the topic does: sends the same bytes again. */
  async function send(s: Scenario, action: ProposedAction): Promise<void> {
    await producer.send({
      topic: s.topics.actions,
      acks: -1,
      messages: [
        {
          key: action.agent_id,
          value: s.contracts.action.encode(action),
          headers: { [ACTION_ID_HEADER]: action.action_id },
        },
      ],
    });
  }

  async function decisionsOf(s: Scenario, actionId: string, count: number): Promise<DecisionRecord[]> {
    const of = () => s.decisions.filter((d) => d.action.action_id === actionId);
    await waitUntil(`${count} decisions for ${actionId}`, async () => of().length >= count, { timeoutMs: 60_000 });
    return of();
  }

  const codes = (d: DecisionRecord | undefined) => d?.reasons.map((r) => r.code);

  it("refuses a signed action replayed after the validator restarted", async () => {
    const s = await scenario("restart");
    const first = await startValidator(s, "validator-a");
    const action = signedAction();
    await send(s, action);
    expect((await decisionsOf(s, action.action_id, 1))[0]?.verdict).toBe("approved");

    await stopValidator(first);
    await startValidator(s, "validator-a");
    await send(s, action);
    const [, replayed] = await decisionsOf(s, action.action_id, 2);
    expect(replayed?.verdict).toBe("rejected");
    expect(codes(replayed)).toEqual(["identity.replayed_nonce"]);
  });

  it("refuses a signed action replayed after its partition moved to another validator", async () => {
    const s = await scenario("moved");
    const a = await startValidator(s, "validator-a");
    const action = signedAction();
    await send(s, action);
    const [original] = await decisionsOf(s, action.action_id, 1);
    expect(original?.verdict).toBe("approved");
    expect(original?.validator_id).toBe("validator-a");

    // B joins the group, A leaves it: every partition, the agent's included, is now B's.
    const b = await startValidator(s, "validator-b");
    await stopValidator(a);
    const probe = signedAction();
    await send(s, probe);
    await waitUntil("B to decide the agent's partition", async () =>
      s.decisions.some((d) => d.action.action_id === probe.action_id && d.validator_id === "validator-b"),
    );
    expect(b.registrationVersion("state-bot")).toBe(1);

    await send(s, action);
    const [, replayed] = await decisionsOf(s, action.action_id, 2);
    expect(replayed?.validator_id).toBe("validator-b");
    expect(replayed?.verdict).toBe("rejected");
    expect(codes(replayed)).toEqual(["identity.replayed_nonce"]);
  });

  it("resumes where its changelog says the committed decisions end, whatever the consumer group's offsets say", async () => {
    const s = await scenario("offsets");
    const first = await startValidator(s, "validator-a");
    const decided = Array.from({ length: 4 }, () => signedAction());
    for (const action of decided) await send(s, action);
    for (const action of decided) await decisionsOf(s, action.action_id, 1);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(s.topics.actions);
      // The group has a copy of the offsets, for lag tools, within a second or so of each commit.
      await waitUntil("the group's copy of the offsets to reach the ends", async () => {
        const [committed] = await admin.fetchOffsets({ groupId: s.groupId, topics: [s.topics.actions] });
        return ends.every(
          ({ partition, high }) =>
            high === "0" || committed?.partitions.find((p) => p.partition === partition)?.offset === high,
        );
      });
      await stopValidator(first);
      // Only the copy is lost: were the group's offsets where a validator starts, every action would be
      // decided a second time (and refused as a replay of itself).
      await admin.setOffsets({
        groupId: s.groupId,
        topic: s.topics.actions,
        partitions: ends.map(({ partition }) => ({ partition, offset: "0" })),
      });
    } finally {
      await admin.disconnect();
    }
    await startValidator(s, "validator-b");
    const next = signedAction();
    await send(s, next);
    expect((await decisionsOf(s, next.action_id, 1))[0]?.validator_id).toBe("validator-b");
    // One agent, so one partition of actions and of decisions: a second decision of an earlier action
    // would have been decided, and read here, before this one.
    for (const action of decided) {
      expect(s.decisions.filter((d) => d.action.action_id === action.action_id)).toHaveLength(1);
    }
  });

  it("holds a rate limit across a restart", async () => {
    const s = await scenario("rate", 3);
    const first = await startValidator(s, "validator-a");
    for (let i = 0; i < 3; i++) {
      const action = signedAction();
      await send(s, action);
      expect((await decisionsOf(s, action.action_id, 1))[0]?.verdict).toBe("approved");
    }
    await stopValidator(first);
    await startValidator(s, "validator-a");
    const fourth = signedAction();
    await send(s, fourth);
    const [decision] = await decisionsOf(s, fourth.action_id, 1);
    expect(decision?.verdict).toBe("rejected");
    expect(codes(decision)).toContain("scope.rate_over_limit");
  });

  it("decides a batch that failed again, once, with the actions queued behind it, and counts none of it twice", async () => {
    const s = await scenario("failed-batch");
    const actions = Array.from({ length: 6 }, () => signedAction());
    const target = actions[0] as ProposedAction;
    let failures = 0;
    /** Fails the batch holding `target` the first time: its decisions, state and offsets never commit. */
    class FailingOnceEngine extends MandateDecisionEngine {
      override decideAction(...args: Parameters<MandateDecisionEngine["decideAction"]>) {
        if (args[0].action_id === target.action_id && failures === 0) {
          failures += 1;
          throw new Error("engine failed (test)");
        }
        return super.decideAction(...args);
      }
    }
    await startValidator(s, "validator-a", new FailingOnceEngine());
    for (const action of actions) await send(s, action);
    for (const action of actions) {
      const [decision] = await decisionsOf(s, action.action_id, 1);
      // Decided again from scratch: not refused as a replay of its own first attempt.
      expect(decision?.verdict).toBe("approved");
    }
    // Time for a second decision of any of them to land, were one made.
    await new Promise((r) => setTimeout(r, 3000));
    for (const action of actions) {
      expect(s.decisions.filter((d) => d.action.action_id === action.action_id)).toHaveLength(1);
    }
    expect(failures).toBe(1);
  });

  it("keeps its partitions through bursts and idle spells, at the shortest session the broker allows", async () => {
    const s = await scenario("idle");
    const validator = await startValidator(s, "validator-a");
    const joins = async () => (await validator.metrics.groupJoins.get()).values[0]?.value ?? 0;
    await waitUntil("validator-a to join its group", async () => (await joins()) > 0);
    // kafkajs heartbeats only between fetches and batches, and an idle fetch waits on the broker: a beat
    // skipped after a batch (its interval not yet over), then an idle fetch, is the longest silence.
    for (let spell = 0; spell < 3; spell += 1) {
      for (let i = 0; i < 5; i += 1) {
        const action = signedAction();
        await send(s, action);
        const [decision] = await decisionsOf(s, action.action_id, 1);
        expect(decision?.verdict).toBe("approved");
        await new Promise((r) => setTimeout(r, 400));
      }
      await new Promise((r) => setTimeout(r, 1.5 * SESSION_TIMEOUT_MS));
    }
    expect(await joins()).toBe(1);
  });

  it("a validator paused past its session timeout cannot commit a second decision (fencing)", async () => {
    const s = await scenario("zombie");
    let stalled: string | undefined;
    const target = signedAction();
    /** Freezes the whole process, as a long GC pause or a suspended VM would, while deciding `target`. */
    class FreezingEngine extends MandateDecisionEngine {
      override decideAction(...args: Parameters<MandateDecisionEngine["decideAction"]>) {
        if (args[0].action_id === target.action_id && stalled === undefined) {
          stalled = args[0].action_id;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 4 * SESSION_TIMEOUT_MS);
        }
        return super.decideAction(...args);
      }
    }
    await startValidator(s, "validator-a", new FreezingEngine());
    // B starts as its own process (this one is about to freeze) and joins while A is frozen.
    const b = ManagedProcess.start(
      "validator-b",
      process.execPath,
      ["--import", "@mandate/common/loader", "services/validator/src/main.ts"],
      {
        cwd: repoRoot,
        logFile: path.join(dir, "validator-b.log"),
        env: {
          ...process.env,
          ...topicsToEnv(s.topics),
          MANDATE_KAFKA_BROKERS: stack.kafkaBrokers.join(","),
          MANDATE_SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
          MANDATE_VALIDATOR_ID: "validator-b",
          MANDATE_VALIDATOR_GROUP: s.groupId,
          MANDATE_VALIDATOR_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
          MANDATE_VALIDATOR_TRANSACTION_TIMEOUT_MS: "10000",
          MANDATE_LOG_LEVEL: "info",
          MANDATE_TOPIC_REPLICATION_FACTOR: "1",
          MANDATE_TOPIC_MIN_INSYNC_REPLICAS: "1",
        },
      },
    );
    running.push(b);
    await send(s, target);
    await waitUntil("A to freeze on the action and wake again", async () => stalled !== undefined);
    // A is awake again and has tried to commit its decision; B took the partition while A was frozen.
    const [decided] = await decisionsOf(s, target.action_id, 1);
    expect(decided?.validator_id).toBe("validator-b");
    // Time for A's late commit to land, were it not fenced.
    await new Promise((r) => setTimeout(r, 5000));
    const committed = s.decisions.filter((d) => d.action.action_id === target.action_id);
    expect(committed.map((d) => d.validator_id)).toEqual(["validator-b"]);
    expect(fs.readFileSync(b.logFile, "utf8")).toContain('"event":"partitions_prepared"');
  }, 120_000);
});

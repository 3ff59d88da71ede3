import crypto from "node:crypto";
import { Kafka, logLevel, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPipeline, type RunningPipeline } from "../../infra/src/pipeline.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import {
  actionHash,
  canonicalCapabilityBytes,
  canonicalDecisionBytes,
  type DecisionRecord,
  signEd25519,
  openContracts,
  type MandateContracts,
  isolatedTopics,
} from "@mandate/contracts";
import { createKafka } from "@mandate/sdk/kafka/kafka-client";
import { createLogger } from "@mandate/common/logger";
import { ValidatorKeyDirectory } from "@mandate/sdk/kafka/validator-key-directory";
import {
  GovernancePublisher,
  MandateAgent,
  DEFAULT_VALIDATOR_KEY_GRACE_MS,
  MandateExecutor,
  type ExecutionOutcome,
} from "@mandate/sdk";
import { testRegistration } from "../support/registrations.js";
import { isolatedDatabase, sharedStack } from "../support/shared-stack.js";

/**
 * Attacks on the executor side (issue 14): running another agent's approval, running one approval
 * in every executor group that has the tool, or twice across instances, poisoning the ledger with
 * another agent's action ids, and stalling the executor with records that name made-up validators.
 * Each is refused, through a real broker.
 */
describe("an executor group under attack", () => {
  const stack = sharedStack("server");
  const topics = isolatedTopics("exec-attacks");
  const database = isolatedDatabase("exec_attacks");
  const connection = { kafkaBrokers: stack.kafkaBrokers, schemaRegistryUrl: stack.schemaRegistryUrl, topics };
  const groupId = `executor-${database}`;
  const outcomes: ExecutionOutcome[] = [];
  /** What the tools ran, as agent id and action id. */
  const ran: Array<[string, string]> = [];
  const executors: MandateExecutor[] = [];
  const agents = new Map<string, MandateAgent>();
  let pipeline: RunningPipeline;
  let producer: Producer;
  let contracts: MandateContracts;
  /** A genuine approval captured before any executor listened: it has never run anywhere. */
  let unexecuted: DecisionRecord;

  const agent = (id: string) => agents.get(id) as MandateAgent;
  const lookup = (orderId: string, actionId?: string) => ({
    tool: "lookup_order",
    operation: "read",
    arguments: { order_id: orderId },
    ...(actionId ? { actionId } : {}),
  });
  const outcomesOf = (decision: DecisionRecord) => outcomes.filter((o) => o.decisionId === decision.decision_id);
  const runsOf = (decision: DecisionRecord) =>
    ran.filter(([agentId, actionId]) => agentId === decision.action.agent_id && actionId === decision.action.action_id);

  beforeAll(async () => {
    pipeline = await startPipeline(stack, { topics, database, logLevel: "silent" });
    contracts = await openContracts(stack, topics);
    const publisher = await GovernancePublisher.connect(connection);
    for (const id of ["order-bot", "mallory-bot", "stranger-bot"]) await publisher.publish(testRegistration(id));
    await publisher.close();
    await waitUntil("registrations", async () => pipeline.validators[0]?.registrationVersion("stranger-bot") === 1);
    for (const id of ["order-bot", "mallory-bot", "stranger-bot"]) {
      agents.set(id, await MandateAgent.connect({ ...connection, agentId: id, executorGroup: groupId }));
    }
    unexecuted = await agent("order-bot").propose(lookup("U-1"));
    expect(unexecuted.verdict).toBe("approved");
    // Two instances of one group, so copies of a decision on different partitions reach different instances.
    for (let i = 0; i < 2; i++) {
      executors.push(
        await MandateExecutor.start({
          ...connection,
          groupId,
          agents: ["order-bot", "mallory-bot"],
          tools: { lookup_order: async (action) => void ran.push([action.agent_id, action.action_id]) },
          onOutcome: (o) => outcomes.push(o),
        }),
      );
    }
    producer = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await Promise.all(executors.map((e) => e.stop().catch(() => undefined)));
    await Promise.all([...agents.values()].map((a) => a.close()));
    await pipeline?.stop();
  });

  /** The exact bytes of `record` once on every partition of the decision topic: every instance gets a copy. */
  async function deliverToEveryPartition(record: DecisionRecord): Promise<number> {
    const admin = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const partitions = (await admin.fetchTopicOffsets(topics.decisions)).map((p) => p.partition);
    await admin.disconnect();
    const value = contracts.decision.encode(record);
    await producer.send({
      topic: topics.decisions,
      acks: -1,
      messages: partitions.map((partition) => ({ partition, value })),
    });
    return partitions.length;
  }

  it("refuses the approval of an agent it does not serve, though it has a tool of that name", async () => {
    const decision = await agent("stranger-bot").propose(lookup("S-1"));
    expect(decision.verdict).toBe("approved");
    await waitUntil("the refusal", async () => outcomesOf(decision).length === 1);
    expect(outcomesOf(decision)[0]).toMatchObject({ outcome: "refused", code: "executor.agent_not_served" });
    expect(runsOf(decision)).toHaveLength(0);
  });

  it("runs an approval delivered to every instance at once exactly once, with no rebalance in between", async () => {
    const copies = await deliverToEveryPartition(unexecuted);
    expect(copies).toBeGreaterThan(1);
    await waitUntil("every copy handled", async () => outcomesOf(unexecuted).length === copies, { timeoutMs: 60_000 });
    expect(runsOf(unexecuted)).toHaveLength(1);
    expect(
      outcomesOf(unexecuted)
        .map((o) => [o.outcome, o.code])
        .sort(),
    ).toEqual(
      [["executed", ""], ...Array.from({ length: copies - 1 }, () => ["refused", "action.already_executed"])].sort(),
    );
  });

  it("refuses on every other instance an approval one instance already ran", async () => {
    const decision = await agent("order-bot").propose(lookup("R-1"));
    await waitUntil("the run", async () => runsOf(decision).length === 1);
    const copies = await deliverToEveryPartition(decision);
    await waitUntil("every copy refused", async () => outcomesOf(decision).length === copies + 1, {
      timeoutMs: 60_000,
    });
    expect(
      outcomesOf(decision)
        .slice(1)
        .every((o) => o.code === "action.already_executed"),
    ).toBe(true);
    expect(runsOf(decision)).toHaveLength(1);
  });

  it("keeps each agent's ledger apart: another agent reusing an action id does not block the real one", async () => {
    const actionId = crypto.randomUUID();
    const poison = await agent("mallory-bot").propose(lookup("M-1", actionId));
    await waitUntil("mallory's run", async () => runsOf(poison).length === 1);
    const genuine = await agent("order-bot").propose(lookup("G-1", actionId));
    expect(genuine.verdict).toBe("approved");
    await waitUntil("the genuine action's outcome", async () => outcomesOf(genuine).length === 1);
    expect(outcomesOf(genuine)[0]).toMatchObject({ outcome: "executed", code: "" });
    expect(runsOf(genuine)).toHaveLength(1);
  });

  it("runs an approval only in the executor group its capability names", async () => {
    const elsewhere: ExecutionOutcome[] = [];
    const ranElsewhere: string[] = [];
    const other = await MandateExecutor.start({
      ...connection,
      groupId: `${groupId}-other`,
      agents: ["order-bot"],
      tools: { lookup_order: async (action) => void ranElsewhere.push(action.action_id) },
      onOutcome: (o) => elsewhere.push(o),
    });
    const unaddressed = await MandateAgent.connect({ ...connection, agentId: "order-bot" });
    try {
      const decision = await agent("order-bot").propose(lookup("A-1"));
      expect(decision.capability?.audience).toBe(groupId);
      await waitUntil("the run in its group", async () => runsOf(decision).length === 1);
      await waitUntil("the other group's refusal", async () =>
        elsewhere.some((o) => o.decisionId === decision.decision_id),
      );
      expect(elsewhere.find((o) => o.decisionId === decision.decision_id)).toMatchObject({
        outcome: "refused",
        code: "verdict.wrong_audience",
      });

      // Re-addressed by whoever copies it: the validator's signatures no longer hold.
      const readdressed: DecisionRecord = {
        ...decision,
        capability: { ...decision.capability!, audience: `${groupId}-other` },
      };
      await producer.send({
        topic: topics.decisions,
        acks: -1,
        messages: [{ key: "order-bot", value: contracts.decision.encode(readdressed) }],
      });
      await waitUntil("the re-addressed copy refused", async () =>
        elsewhere.some((o) => o.decisionId === decision.decision_id && o.code === "verdict.bad_signature"),
      );

      // An approval that names no group at all (an older agent) runs in no group: fail closed.
      const nowhere = await unaddressed.propose(lookup("A-2"));
      expect(nowhere.verdict).toBe("approved");
      expect(nowhere.capability?.audience ?? null).toBeNull();
      await waitUntil(
        "both groups' refusals",
        async () => [...outcomes, ...elsewhere].filter((o) => o.decisionId === nowhere.decision_id).length === 2,
      );
      expect(
        [...outcomes, ...elsewhere].filter((o) => o.decisionId === nowhere.decision_id).map((o) => o.code),
      ).toEqual(["verdict.wrong_audience", "verdict.wrong_audience"]);
      expect(runsOf(nowhere)).toHaveLength(0);
      expect(ranElsewhere).toHaveLength(0);
    } finally {
      await unaddressed.close();
      await other.stop();
    }
  });

  it("refuses 1,000 records naming made-up validators without waiting on any of them", async () => {
    const attackerKey = crypto.generateKeyPairSync("ed25519").privateKey;
    const bogus = Array.from({ length: 1000 }, (_, i) => forgedApproval(`made-up-validator-${i}`, attackerKey));
    const started = Date.now();
    await producer.send({
      topic: topics.decisions,
      acks: -1,
      messages: bogus.map((record) => ({ key: "order-bot", value: contracts.decision.encode(record) })),
    });
    // Behind them on the same partition: a genuine approval, which must still run in its validity.
    const genuine = await agent("order-bot").propose(lookup("B-1"));
    await waitUntil("the genuine approval behind the bogus ones to run", async () => runsOf(genuine).length === 1, {
      timeoutMs: 60_000,
    });
    const elapsed = Date.now() - started;
    const refused = outcomes.filter((o) => o.code === "verdict.unknown_validator");
    expect(refused).toHaveLength(1000);
    // The old grace wait paid per made-up id: 1,000 × DEFAULT_VALIDATOR_KEY_GRACE_MS.
    expect(elapsed).toBeLessThan(DEFAULT_VALIDATOR_KEY_GRACE_MS * 10);
  });

  it("answers the key lookup for 1,000 made-up validator ids in well under a second", async () => {
    const logger = createLogger("exec-attacks-test", "silent");
    const directory = new ValidatorKeyDirectory(
      createKafka(stack, "exec-attacks-keys", logger),
      topics.validatorKeys,
      contracts.validatorKey,
      logger,
    );
    await directory.start();
    try {
      // As an executor asks for the records of one fetched batch: each was written before the fetch.
      const fetched = Date.now();
      const started = Date.now();
      for (let i = 0; i < 1000; i++) {
        expect(await directory.keyFor(`made-up-${i}`, DEFAULT_VALIDATOR_KEY_GRACE_MS, fetched)).toBeUndefined();
      }
      expect(Date.now() - started).toBeLessThan(1000);
      expect(await directory.keyFor(unexecuted.validator_id, DEFAULT_VALIDATOR_KEY_GRACE_MS)).toBeDefined();
    } finally {
      await directory.stop();
    }
  });

  /** An approval signed by a key no validator published, under `validatorId`. */
  function forgedApproval(validatorId: string, signingKey: crypto.KeyObject): DecisionRecord {
    const action = { ...unexecuted.action, action_id: crypto.randomUUID() };
    const grant = {
      action_hash: actionHash(action),
      agent_id: action.agent_id,
      expires_at: Date.now() + 60_000,
      audience: groupId,
    };
    const unsigned: DecisionRecord = {
      ...unexecuted,
      decision_id: crypto.randomUUID(),
      action,
      validator_id: validatorId,
      capability: { ...grant, signature: signEd25519(canonicalCapabilityBytes(grant), signingKey) },
      signature: null,
    };
    return { ...unsigned, signature: signEd25519(canonicalDecisionBytes(unsigned), signingKey) };
  }
});

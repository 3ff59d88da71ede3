import { Kafka, logLevel, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPipeline, type RunningPipeline } from "../../infra/src/pipeline.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import { type DecisionRecord, openContracts, type MandateContracts, isolatedTopics } from "@mandate/contracts";
import { GovernancePublisher, MandateAgent, MandateExecutor, type ExecutionOutcome } from "@mandate/sdk";
import { testRegistration } from "../support/registrations.js";
import { isolatedDatabase, sharedStack } from "../support/shared-stack.js";

/**
 * "Never the same action twice" must hold beyond one executor process: a genuine approval delivered
 * again — after the executor that ran it restarted, or to another instance of its group — must not
 * run again while it is still valid.
 */
describe("an executor group runs an action once across restarts and instances", () => {
  const stack = sharedStack("server");
  const topics = isolatedTopics("exec-restart");
  const database = isolatedDatabase("exec_restart");
  const connection = { kafkaBrokers: stack.kafkaBrokers, schemaRegistryUrl: stack.schemaRegistryUrl, topics };
  const groupId = `executor-${database}`;
  const outcomes: ExecutionOutcome[] = [];
  const ran: string[] = [];
  let pipeline: RunningPipeline;
  let agent: MandateAgent;
  let producer: Producer;
  let contracts: MandateContracts;
  const executors: MandateExecutor[] = [];

  const startExecutor = async () => {
    const executor = await MandateExecutor.start({
      ...connection,
      groupId,
      agents: ["order-bot"],
      tools: { lookup_order: async (action) => void ran.push(action.action_id) },
      onOutcome: (o) => outcomes.push(o),
    });
    executors.push(executor);
    return executor;
  };
  /** Publishes the exact bytes of a genuine decision again, as a re-delivery or a replaying attacker would. */
  const deliverAgain = async (decision: DecisionRecord) =>
    producer.send({
      topic: topics.decisions,
      messages: [{ key: decision.action.agent_id, value: contracts.decision.encode(decision) }],
    });
  const outcomesOf = (decision: DecisionRecord) =>
    outcomes.filter((o) => o.decisionId === decision.decision_id).map((o) => [o.outcome, o.code]);

  beforeAll(async () => {
    pipeline = await startPipeline(stack, { topics, database, logLevel: "silent" });
    contracts = await openContracts(stack, topics);
    const publisher = await GovernancePublisher.connect(connection);
    await publisher.publish(testRegistration("order-bot"));
    await publisher.close();
    await waitUntil("registration", async () => pipeline.validators[0]?.registrationVersion("order-bot") === 1);
    agent = await MandateAgent.connect({ ...connection, agentId: "order-bot", executorGroup: groupId });
    producer = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await Promise.all(executors.map((e) => e.stop().catch(() => undefined)));
    await agent?.close();
    await pipeline?.stop();
  });

  it("refuses, after a restart, an approval it ran before the restart", async () => {
    const first = await startExecutor();
    const decision = await agent.propose({ tool: "lookup_order", operation: "read", arguments: { order_id: "R-1" } });
    expect(decision.verdict).toBe("approved");
    await waitUntil("the first run", async () => ran.includes(decision.action.action_id));
    await first.stop();

    await startExecutor();
    await deliverAgain(decision);
    await waitUntil("the copy to be refused", async () => outcomesOf(decision).length === 2);
    expect(outcomesOf(decision)).toEqual([
      ["executed", ""],
      ["refused", "action.already_executed"],
    ]);
    expect(ran.filter((id) => id === decision.action.action_id)).toHaveLength(1);
  });

  it("refuses it on another instance of the group, whichever partition owner gets the copy", async () => {
    const decision = await agent.propose({ tool: "lookup_order", operation: "read", arguments: { order_id: "R-2" } });
    await waitUntil("the run", async () => ran.includes(decision.action.action_id));
    // A second instance joins: the group rebalances, and the copy may land on either.
    await startExecutor();
    await deliverAgain(decision);
    await waitUntil("the copy to be refused", async () => outcomesOf(decision).length === 2, { timeoutMs: 60_000 });
    expect(outcomesOf(decision)[1]).toEqual(["refused", "action.already_executed"]);
    expect(ran.filter((id) => id === decision.action.action_id)).toHaveLength(1);
  });

  it("records every outcome on the executions topic for the trail, the run next to the refused copy", async () => {
    const trail = pipeline.sink!.trail;
    const summary = async () => {
      const result = await trail.query({
        query: `SELECT outcome, code, count() AS n FROM ${database}.executions FINAL GROUP BY outcome, code ORDER BY outcome, code`,
        format: "JSONEachRow",
      });
      return ((await result.json()) as Array<{ outcome: string; code: string; n: string | number }>).map((r) => [
        r.outcome,
        r.code,
        Number(r.n),
      ]);
    };
    await waitUntil("outcomes in the trail", async () => (await summary()).length === 3);
    expect(await summary()).toEqual([
      ["executed", "", 2],
      ["refused", "action.already_executed", 2],
      ["started", "", 2],
    ]);
  });
});

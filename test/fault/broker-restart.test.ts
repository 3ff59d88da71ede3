import crypto from "node:crypto";
import { Kafka, logLevel, type KafkaMessage } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStack, type LocalStack } from "../../infra/src/local-stack.js";
import { startPipeline, type RunningPipeline } from "../../infra/src/pipeline.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import { ACTION_ID_HEADER, type ProposedAction } from "../../services/common/src/action.js";
import { openContracts, type MandateContracts } from "../../services/common/src/mandate-contracts.js";
import { DEFAULT_TOPICS } from "../../services/common/src/topics.js";
import { GovernancePublisher } from "../../sdk/src/governance-publisher.js";
import { testRegistration } from "../support/registrations.js";

const ACTIONS = 3000;

/**
 * The broker process is stopped while the validator works through a backlog, then started again.
 * Nothing acknowledged may be lost and every action must end with exactly one decision. This suite
 * has a broker of its own, so stopping it disturbs no other suite.
 */
describe("broker stopped and restarted mid-stream", () => {
  let stack: LocalStack;
  let pipeline: RunningPipeline;
  let contracts: MandateContracts;

  beforeAll(async () => {
    stack = await startLocalStack({ clickhouse: "none" });
    pipeline = await startPipeline(stack, { topics: DEFAULT_TOPICS, database: "unused", logLevel: "silent" });
    const publisher = await GovernancePublisher.connect(stack);
    await publisher.publish(testRegistration("restart-bot"));
    await publisher.close();
    await waitUntil("registration", async () => pipeline.validators[0]?.registrationVersion("restart-bot") === 1);
    contracts = await openContracts(stack.schemaRegistryUrl, DEFAULT_TOPICS);
  });

  afterAll(async () => {
    await pipeline?.stop();
    await stack?.stop();
  });

  const action = (i: number): ProposedAction => ({
    action_id: `restart-${i}-${crypto.randomUUID()}`,
    agent_id: "restart-bot",
    session_id: "restart",
    session_task: `Where is order A-${i}?`,
    tool: "lookup_order",
    operation: "read",
    resource: null,
    destination: null,
    arguments_json: JSON.stringify({ order_id: `A-${i}` }),
    intent: "check the order",
    proposed_at: Date.now(),
    nonce: crypto.randomUUID(),
    key_id: null,
    signature: null,
  });

  it("decides every acknowledged action exactly once", async () => {
    const kafka = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent: string[] = [];
    for (let i = 0; i < ACTIONS; i += 100) {
      const batch = Array.from({ length: 100 }, (_, j) => action(i + j));
      await producer.send({
        topic: DEFAULT_TOPICS.actions,
        acks: -1,
        messages: batch.map((a, j) => ({
          key: a.agent_id,
          partition: (i + j) % 6,
          value: contracts.action.encode(a),
          headers: { [ACTION_ID_HEADER]: a.action_id },
        })),
      });
      sent.push(...batch.map((a) => a.action_id));
    }
    await producer.disconnect();

    await stack.broker.stop();
    await new Promise((r) => setTimeout(r, 3000));
    await stack.broker.restart();

    const decisions = new Map<string, number>();
    const reader = kafka.consumer({ groupId: `restart-reader-${crypto.randomUUID()}` });
    await reader.connect();
    await reader.subscribe({ topic: DEFAULT_TOPICS.decisions, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }: { message: KafkaMessage }) => {
        const decision = await contracts.decision.decode(message.value);
        decisions.set(decision.action.action_id, (decisions.get(decision.action.action_id) ?? 0) + 1);
      },
    });
    try {
      await waitUntil("a decision for every action", async () => decisions.size >= ACTIONS, {
        timeoutMs: 150_000,
        intervalMs: 500,
      });
      await new Promise((r) => setTimeout(r, 3000));
    } finally {
      await reader.disconnect();
    }
    expect(decisions.size).toBe(ACTIONS);
    expect(sent.every((id) => decisions.get(id) === 1)).toBe(true);
  }, 240_000);
});

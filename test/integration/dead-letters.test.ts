import { Kafka, logLevel, type KafkaMessage, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPipeline, type RunningPipeline } from "../../infra/src/pipeline.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import { ACTION_ID_HEADER, openContracts, type MandateContracts, isolatedTopics } from "@mandate/contracts";
import { headerText } from "@mandate/sdk/kafka/dead-letter";
import { MandateAgent, GovernancePublisher } from "@mandate/sdk";
import { readTopic } from "../support/topic-reader.js";
import { testRegistration } from "../support/registrations.js";
import { isolatedDatabase, sharedStack } from "../support/shared-stack.js";

/**
 * Each class of bad input — not Avro, an unknown schema id, too large — lands on the dead-letter
 * topic with its original bytes and reason/step/timestamp headers, gets a rejected decision when
 * its ids can be read, and does not stop the validator or the sink.
 */
describe("dead letters", () => {
  const stack = sharedStack("server");
  const topics = isolatedTopics("dlq");
  const database = isolatedDatabase("dlq");
  const connection = { kafkaBrokers: stack.kafkaBrokers, schemaRegistryUrl: stack.schemaRegistryUrl, topics };
  let pipeline: RunningPipeline;
  let producer: Producer;
  let contracts: MandateContracts;

  beforeAll(async () => {
    pipeline = await startPipeline(stack, { topics, database, logLevel: "silent" });
    contracts = await openContracts(stack, topics);
    const publisher = await GovernancePublisher.connect(connection);
    await publisher.publish(testRegistration("dlq-bot"));
    await publisher.close();
    await waitUntil("registration", async () => pipeline.validators[0]?.registrationVersion("dlq-bot") === 1);
    producer = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await pipeline?.stop();
  });

  const validAction = (actionId: string) =>
    contracts.action.encode({
      action_id: actionId,
      agent_id: "dlq-bot",
      session_id: "s",
      session_task: null,
      tool: "lookup_order",
      operation: "read",
      resource: null,
      destination: null,
      arguments_json: JSON.stringify({ order_id: "A-1", padding: "x".repeat(300_000) }),
      intent: null,
      proposed_at: Date.now(),
      nonce: actionId,
      key_id: null,
      signature: null,
    });

  const badInputs = [
    { reason: "not_avro", actionId: "bad-not-avro", value: Buffer.from('{"this": "is json, not avro"}') },
    // Magic byte, then a schema id no registry has handed out.
    {
      reason: "unknown_schema_id",
      actionId: "bad-unknown-id",
      value: Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0]), Buffer.from("abc")]),
    },
    { reason: "too_large", actionId: "bad-too-large", value: undefined },
  ] as const;

  it("dead-letters every bad input class with its bytes and headers, rejects what it can identify, and keeps deciding", async () => {
    const sent = new Map<string, Buffer>();
    for (const input of badInputs) {
      const value = input.value ?? validAction(input.actionId);
      sent.set(input.reason, value);
      await producer.send({
        topic: topics.actions,
        messages: [{ key: "dlq-bot", value, headers: { [ACTION_ID_HEADER]: input.actionId } }],
      });
    }
    // Garbage with no way to identify it: dead-lettered, no decision possible.
    await producer.send({ topic: topics.actions, messages: [{ key: null, value: Buffer.from([0xde, 0xad]) }] });

    const fromValidator = (messages: KafkaMessage[]) =>
      messages.filter((m) => headerText(m.headers, "step") === "validator.intake");
    const deadLetters = fromValidator(
      await readTopic(stack.kafkaBrokers, topics.deadLetters, (m) => fromValidator(m).length >= 4),
    );
    expect(deadLetters).toHaveLength(4);
    for (const input of badInputs) {
      const letter = deadLetters.find((m) => headerText(m.headers, "reason") === input.reason);
      expect(letter, input.reason).toBeDefined();
      expect(letter!.value!.equals(sent.get(input.reason)!)).toBe(true);
      expect(letter!.key!.toString()).toBe("dlq-bot");
      expect(headerText(letter!.headers, "step")).toBe("validator.intake");
      expect(Number(headerText(letter!.headers, "timestamp"))).toBeGreaterThan(0);
    }

    const decisions = await readTopic(stack.kafkaBrokers, topics.decisions, (m) => m.length >= 3);
    const decoded = await Promise.all(decisions.map((m) => contracts.decision.decode(m.value)));
    for (const input of badInputs) {
      const decision = decoded.find((d) => d.action.action_id === input.actionId);
      expect(decision?.verdict, input.reason).toBe("rejected");
      expect(decision?.reasons[0]?.code).toBe(`intake.${input.reason}`);
    }

    // The partition is not blocked: a good action afterwards is decided normally.
    const agent = await MandateAgent.connect({ ...connection, agentId: "dlq-bot" });
    try {
      const decision = await agent.propose({ tool: "lookup_order", operation: "read", arguments: { order_id: "A-2" } });
      expect(decision.verdict).toBe("approved");
    } finally {
      await agent.close();
    }

    // The sink records the dead letters for analysts too.
    await waitUntil("dead letters in the trail", async () => {
      const result = await pipeline.sink!.trail.query({
        query: `SELECT DISTINCT reason FROM ${database}.dead_letters WHERE step = 'validator.intake'`,
        format: "JSONEachRow",
      });
      const reasons = ((await result.json()) as Array<{ reason: string }>).map((r) => r.reason);
      return badInputs.every((i) => reasons.includes(i.reason));
    });
  });

  it("the sink dead-letters what it cannot read on its own topics, counts it, and keeps storing", async () => {
    await producer.send({
      topic: topics.decisions,
      messages: [{ key: "dlq-bot", value: Buffer.from("not a decision") }],
    });
    await producer.send({ topic: topics.executions, messages: [{ key: "dlq-bot", value: Buffer.from([0, 1]) }] });
    const fromSink = (messages: KafkaMessage[]) =>
      messages.filter((m) => headerText(m.headers, "step") === "sink.decode");
    const letters = fromSink(await readTopic(stack.kafkaBrokers, topics.deadLetters, (m) => fromSink(m).length >= 2));
    expect(letters.map((m) => headerText(m.headers, "source-topic")).sort()).toEqual(
      [topics.decisions, topics.executions].sort(),
    );
    await waitUntil("the sink's dead-letter count", async () => {
      const metrics = await pipeline.sink!.metrics.registry.metrics();
      return /mandate_dead_letters_total\{step="sink.decode",reason="not_avro",service="sink"\} 2/.test(metrics);
    });
  });
});

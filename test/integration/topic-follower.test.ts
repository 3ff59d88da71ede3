import { Kafka, logLevel, type Consumer, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@mandate/common/logger";
import { openContracts, type MandateContracts, isolatedTopics, type AgentRegistration } from "@mandate/contracts";
import { TopicFollower } from "@mandate/sdk/kafka/topic-follower";
import { testRegistration } from "../support/registrations.js";
import { sharedStack } from "../support/shared-stack.js";

/**
 * A follower whose consumer goes silent while it is behind (here: paused from outside, standing in
 * for a kafkajs consumer that stays joined but fetches nothing) is not waited on for ever: `catchUp`
 * replaces the consumer, which reads on from where the silent one stopped.
 */
describe("a topic follower whose consumer stops reading", () => {
  const stack = sharedStack("server");
  const topics = isolatedTopics("follower-stall");
  const kafka = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING });
  const seen: string[] = [];
  let contracts: MandateContracts;
  let producer: Producer;
  let follower: TopicFollower<AgentRegistration>;

  const publish = async (agentId: string) =>
    producer.send({
      topic: topics.registry,
      acks: -1,
      messages: [{ key: agentId, value: await contracts.registration.encode(testRegistration(agentId)) }],
    });

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: topics.registry, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    contracts = await openContracts({ schemaRegistryUrl: stack.schemaRegistryUrl }, topics);
    producer = kafka.producer({ idempotent: true });
    await producer.connect();
    for (const agent of ["a-1", "a-2", "a-3"]) await publish(agent);
    follower = new TopicFollower(
      kafka,
      topics.registry,
      contracts.registration,
      (record) => void seen.push(record.agent_id),
      createLogger("follower-test", "silent"),
      "registration",
    );
    await follower.start(() => 0);
  });

  afterAll(async () => {
    await follower?.stop();
    await producer?.disconnect();
  });

  it("gets a new consumer and catches up", async () => {
    expect([...seen].sort()).toEqual(["a-1", "a-2", "a-3"]);
    const silent = (follower as unknown as { consumer: Consumer }).consumer;
    silent.pause([{ topic: topics.registry }]);
    for (const agent of ["b-1", "b-2", "b-3", "b-4"]) await publish(agent);

    await follower.catchUp(1000);

    expect(seen).toEqual(expect.arrayContaining(["b-1", "b-2", "b-3", "b-4"]));
    expect((follower as unknown as { consumer: Consumer }).consumer).not.toBe(silent);
  }, 30_000);
});

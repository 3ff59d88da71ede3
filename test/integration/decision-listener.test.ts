import { Kafka, logLevel, Partitioners, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AvroCodec,
  type DecisionRecord,
  openContracts,
  type MandateContracts,
  isolatedTopics,
} from "@mandate/contracts";
import { VerdictSigner } from "@mandate/common/verdict-signer";
import { DecisionListener } from "@mandate/sdk/decision-listener";
import { paymentAction, signedDecision } from "../support/signed-decisions.js";
import { sharedStack } from "../support/shared-stack.js";

const PARTITIONS = 6;
const AGENTS = Array.from({ length: 40 }, (_, i) => `fleet-bot-${i}`);
const OWN = AGENTS[0]!;

/**
 * An agent's decision listener reads only its own partition of the decision topic: with many agents
 * sharing the topic, it fetches and decodes its own decisions and not the others'.
 */
describe("an agent's decision listener", () => {
  const stack = sharedStack("server");
  const topics = isolatedTopics("decision-listener");
  const kafka = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING });
  const signer = VerdictSigner.create({ capabilityTtlSeconds: 60 });
  const decoded: string[] = [];
  let contracts: MandateContracts;
  let producer: Producer;
  let listener: DecisionListener;

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: topics.decisions, numPartitions: PARTITIONS }],
      waitForLeaders: true,
    });
    await admin.disconnect();
    contracts = await openContracts({ schemaRegistryUrl: stack.schemaRegistryUrl }, topics);
    // The codec the listener decodes with, counting what it is handed.
    const counting = Object.create(contracts.decision) as AvroCodec<DecisionRecord>;
    counting.decode = async (value) => {
      const decision = await contracts.decision.decode(value);
      decoded.push(decision.action.agent_id);
      return decision;
    };
    listener = new DecisionListener(kafka, topics.decisions, counting, OWN);
    await listener.start();
    producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
  });

  afterAll(async () => {
    await listener?.stop();
    await producer?.disconnect();
  });

  it("decodes only its own agent's decisions, and gets every one of them", async () => {
    const waits = [0, 1, 2].map((n) => listener.expect(`own-${n}`).decision);
    const messages = [
      ...AGENTS.flatMap((agent, i) =>
        agent === OWN
          ? []
          : [signedDecision(signer, paymentAction({ agent_id: agent, action_id: `other-${i}` }), "approved")],
      ),
      ...[0, 1, 2].map((n) =>
        signedDecision(signer, paymentAction({ agent_id: OWN, action_id: `own-${n}` }), "approved"),
      ),
    ].map((record) => ({ key: record.action.agent_id, value: contracts.decision.encode(record) }));
    await producer.send({ topic: topics.decisions, acks: -1, messages });

    const received = await Promise.all(waits);
    expect(received.map((d) => d.action.action_id)).toEqual(["own-0", "own-1", "own-2"]);
    // Nobody else's decision is decoded (those whose key hashes to the same partition are read, not decoded).
    expect(new Set(decoded)).toEqual(new Set([OWN]));
    expect(decoded).toHaveLength(3);
  }, 30_000);
});

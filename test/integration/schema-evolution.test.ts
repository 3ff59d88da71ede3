import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import avro from "avsc";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPipeline, type RunningPipeline } from "../../infra/src/pipeline.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import { ACTION_ID_HEADER, readAvroSchema, openContracts, isolatedTopics } from "@mandate/contracts";
import { GovernancePublisher } from "@mandate/sdk";
import { readTopic } from "../support/topic-reader.js";
import { testRegistration } from "../support/registrations.js";
import { isolatedDatabase, sharedStack } from "../support/shared-stack.js";

describe("schema evolution", () => {
  const stack = sharedStack("server");
  const topics = isolatedTopics("evolution");
  const connection = { kafkaBrokers: stack.kafkaBrokers, schemaRegistryUrl: stack.schemaRegistryUrl, topics };
  let pipeline: RunningPipeline;

  beforeAll(async () => {
    pipeline = await startPipeline(stack, { topics, database: isolatedDatabase("evolution"), logLevel: "silent" });
    const publisher = await GovernancePublisher.connect(connection);
    await publisher.publish(testRegistration("newer-bot"));
    await publisher.close();
    await waitUntil("registration", async () => pipeline.validators[0]?.registrationVersion("newer-bot") === 1);
  });

  afterAll(async () => {
    await pipeline?.stop();
  });

  it("decides an action written with a newer ActionProposed that adds an optional field", async () => {
    const current = readAvroSchema("action-proposed.avsc");
    const newer = {
      ...current,
      fields: [
        ...(current.fields as object[]),
        { name: "priority", type: ["null", "string"], default: null, doc: "A field a future SDK adds." },
      ],
    };
    const registry = new SchemaRegistry({ host: stack.schemaRegistryUrl });
    // BACKWARD compatibility is enforced by the registry: this registration would fail if the change were breaking.
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(newer) },
      { subject: `${topics.actions}-value` },
    );
    const latest = await registry.getLatestSchemaId(`${topics.actions}-value`);
    expect(latest).toBe(id);

    const body = avro.Type.forSchema(newer as avro.Schema).toBuffer({
      action_id: "from-the-future",
      agent_id: "newer-bot",
      session_id: "s",
      session_task: null,
      tool: "lookup_order",
      operation: "read",
      resource: null,
      destination: null,
      arguments_json: "{}",
      intent: null,
      proposed_at: Date.now(),
      nonce: "n",
      key_id: null,
      signature: null,
      priority: "high",
    });
    const header = Buffer.alloc(5);
    header.writeUInt32BE(id, 1);
    const producer = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({
      topic: topics.actions,
      messages: [
        { key: "newer-bot", value: Buffer.concat([header, body]), headers: { [ACTION_ID_HEADER]: "from-the-future" } },
      ],
    });
    await producer.disconnect();

    const contracts = await openContracts(stack, topics);
    const [message] = await readTopic(stack.kafkaBrokers, topics.decisions, (m) => m.length >= 1);
    const decision = await contracts.decision.decode(message!.value);
    expect(decision.action.action_id).toBe("from-the-future");
    expect(decision.verdict).toBe("approved");
  });
});

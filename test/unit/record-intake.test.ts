import type { SchemaRegistry } from "@kafkajs/confluent-schema-registry";
import avro from "avsc";
import type { KafkaMessage } from "kafkajs";
import { describe, expect, it } from "vitest";
import {
  ACTION_ID_HEADER,
  type ProposedAction,
  AvroCodec,
  mandateSchemas,
  RECORD_KIND_HEADER,
  type AgentObservation,
} from "@mandate/contracts";
import { takeInRecord, type IntakeCodecs } from "@mandate/validator/action-intake";
import { sampleAction } from "../support/test-actions.js";

const schemas = mandateSchemas();
/** Schema ids in the registry double: 1 the action, 2 the observation, 3 some other record. */
const ids = new Map<number, avro.Type>([
  [1, avro.Type.forSchema(schemas.action as avro.Schema)],
  [2, avro.Type.forSchema(schemas.observation as avro.Schema)],
  [3, avro.Type.forSchema(schemas.validatorKey as avro.Schema)],
]);
const limits = { maxActionBytes: 4096, maxObservationBytes: 2048 };

const action = sampleAction();
const observation: AgentObservation = {
  observation_id: "o-1",
  agent_id: "bot",
  session_id: "s",
  action_id: "a-1",
  tool: "lookup_order",
  arguments_json: null,
  output: '{"status":"shipped"}',
  error: null,
  truncated: false,
  reporter: "executor:x",
  observed_at: 2,
};

/** A registry double: unit tests may fake it; integration tests use the real one. */
async function codecs(): Promise<IntakeCodecs> {
  const registry = {
    getSchema: async (id: number) => {
      const type = ids.get(id);
      if (!type) throw Object.assign(new Error("not found"), { status: 404 });
      return type;
    },
    register: async (schema: { schema: string }) => ({
      id: JSON.parse(schema.schema).name === "AgentObservation" ? 2 : 1,
    }),
  } as unknown as SchemaRegistry;
  const result = {
    action: new AvroCodec<ProposedAction>(registry, "actions-value", schemas.action),
    observation: new AvroCodec<AgentObservation>(
      registry,
      "actions-dev.mandate.v1.AgentObservation",
      schemas.observation,
    ),
  };
  await result.action.register(async () => {});
  await result.observation.register(async () => {});
  return result;
}

function message(value: Buffer, headers: Record<string, string> = {}, key = "bot"): KafkaMessage {
  return {
    key: Buffer.from(key),
    value,
    headers,
    offset: "0",
    timestamp: "0",
    attributes: 0,
    size: 0,
  } as unknown as KafkaMessage;
}

function framed(schemaId: number, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(schemaId, 1);
  return Buffer.concat([head, body]);
}

describe("validator intake: actions and observations on one topic", () => {
  it("tells an action from an observation by the writer schema", async () => {
    const c = await codecs();
    expect(await takeInRecord(message(c.action.encode(action)), c, limits)).toEqual({ kind: "action", action });
    expect(await takeInRecord(message(c.observation.encode(observation)), c, limits)).toEqual({
      kind: "observation",
      observation,
    });
  });

  it("is not confused by a header that lies about the kind", async () => {
    const c = await codecs();
    const lyingAction = message(c.action.encode(action), { [RECORD_KIND_HEADER]: "observation" });
    const lyingObservation = message(c.observation.encode(observation), { [RECORD_KIND_HEADER]: "action" });
    expect((await takeInRecord(lyingAction, c, limits)).kind).toBe("action");
    expect((await takeInRecord(lyingObservation, c, limits)).kind).toBe("observation");
  });

  it("dead-letters a too-large observation without a verdict, whatever action id its headers claim", async () => {
    const c = await codecs();
    const large = c.observation.encode({ ...observation, output: "x".repeat(3000) });
    const result = await takeInRecord(message(large, { [ACTION_ID_HEADER]: "a-1" }), c, limits);
    expect(result).toMatchObject({
      kind: "dead_letter",
      cause: { step: "validator.observation", reason: "too_large" },
      identified: undefined,
    });
  });

  it("dead-letters an observation keyed by another agent, or with an empty session", async () => {
    const c = await codecs();
    const elsewhere = await takeInRecord(message(c.observation.encode(observation), {}, "other-bot"), c, limits);
    expect(elsewhere).toMatchObject({ kind: "dead_letter", cause: { reason: "key_mismatch" } });
    const sessionless = await takeInRecord(
      message(c.observation.encode({ ...observation, session_id: "" })),
      c,
      limits,
    );
    expect(sessionless).toMatchObject({ kind: "dead_letter", cause: { reason: "invalid_record" } });
  });

  it("dead-letters an action keyed by another agent, and rejects it under the key it came with", async () => {
    const c = await codecs();
    // A replay keyed elsewhere would land on a partition (and validator) that never saw the agent's envelopes.
    const elsewhere = await takeInRecord(
      message(c.action.encode(action), { [ACTION_ID_HEADER]: action.action_id }, "other-bot"),
      c,
      limits,
    );
    expect(elsewhere).toMatchObject({
      kind: "dead_letter",
      cause: { step: "validator.intake", reason: "key_mismatch" },
      identified: { actionId: action.action_id, agentId: "other-bot" },
    });
  });

  it("dead-letters an unreadable observation body", async () => {
    const c = await codecs();
    const result = await takeInRecord(message(framed(2, Buffer.from([0xff, 0xff, 0xff]))), c, limits);
    expect(result).toMatchObject({ kind: "dead_letter", cause: { step: "validator.observation", reason: "not_avro" } });
  });

  it("rejects what is neither (another record, an unknown schema id, no framing) as an unreadable action", async () => {
    const c = await codecs();
    const headers = { [ACTION_ID_HEADER]: "a-9" };
    const otherRecord = await takeInRecord(message(framed(3, Buffer.from([0])), headers), c, limits);
    expect(otherRecord).toMatchObject({
      kind: "dead_letter",
      cause: { step: "validator.intake", reason: "invalid_record" },
      identified: { actionId: "a-9", agentId: "bot" },
    });
    const unknownId = await takeInRecord(message(framed(99, Buffer.from([0])), headers), c, limits);
    expect(unknownId).toMatchObject({ kind: "dead_letter", cause: { reason: "unknown_schema_id" } });
    const bigGarbage = await takeInRecord(message(Buffer.alloc(5000, 1), headers), c, limits);
    expect(bigGarbage).toMatchObject({ kind: "dead_letter", cause: { reason: "too_large" } });
  });
});

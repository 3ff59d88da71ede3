import type { SchemaRegistry } from "@kafkajs/confluent-schema-registry";
import avro from "avsc";
import { describe, expect, it } from "vitest";
import { AvroCodec, mandateSchemas, DependencyUnavailableError, UndecodableMessageError } from "@mandate/contracts";
import { sampleAction } from "../support/test-actions.js";

const schema = mandateSchemas().action;
const type = avro.Type.forSchema(schema as avro.Schema);
const action = sampleAction();

/** A registry double: unit tests may fake it; integration tests use the real one. */
function fakeRegistry(lookup: (id: number) => Promise<unknown>): SchemaRegistry {
  return {
    getSchema: lookup,
    register: async () => ({ id: 7 }),
  } as unknown as SchemaRegistry;
}

async function registeredCodec(lookup: (id: number) => Promise<unknown>) {
  const codec = new AvroCodec(fakeRegistry(lookup), "actions-value", schema);
  await codec.register(async () => {});
  return codec;
}

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UndecodableMessageError);
  return (error as UndecodableMessageError).reason;
}

describe("Avro codec (Confluent wire format)", () => {
  it("round-trips a record with the magic byte and schema id", async () => {
    const codec = await registeredCodec(async () => type);
    const bytes = codec.encode(action);
    expect(bytes[0]).toBe(0);
    expect(bytes.readUInt32BE(1)).toBe(7);
    expect(await codec.decode(bytes)).toEqual(action);
  });

  it("classifies bad bytes without throwing anything untyped", async () => {
    const codec = await registeredCodec(async (id) => {
      if (id === 7) return type;
      throw Object.assign(new Error("Schema not found"), { status: 404 });
    });
    expect(await reasonOf(codec.decode(Buffer.from("plain text")))).toBe("not_avro");
    expect(await reasonOf(codec.decode(null))).toBe("not_avro");
    const unknown = Buffer.from(codec.encode(action));
    unknown.writeUInt32BE(99, 1);
    expect(await reasonOf(codec.decode(unknown))).toBe("unknown_schema_id");
    const truncated = codec.encode(action).subarray(0, 12);
    expect(await reasonOf(codec.decode(truncated))).toBe("not_avro");
  });

  it("decodes at once only with a writer schema it has already fetched, and classifies bad bytes the same way", async () => {
    let lookups = 0;
    const codec = await registeredCodec(async () => {
      lookups += 1;
      return type;
    });
    const bytes = codec.encode(action);
    expect(codec.decodeKnown(bytes)).toBeUndefined();
    expect(lookups).toBe(0);
    expect(await codec.decode(bytes)).toEqual(action);
    expect(codec.decodeKnown(bytes)).toEqual(action);
    expect(lookups).toBe(1);
    const reasonNow = (bad: Buffer | null) => reasonOf(Promise.resolve().then(() => codec.decodeKnown(bad)));
    expect(await reasonNow(Buffer.from("plain text"))).toBe("not_avro");
    expect(await reasonNow(null)).toBe("not_avro");
    expect(await reasonNow(bytes.subarray(0, 12))).toBe("not_avro");
  });

  it("treats an unreachable registry as retriable, not as bad input", async () => {
    const codec = await registeredCodec(async () => {
      throw new Error("ECONNREFUSED");
    });
    const error = await codec.decode(codec.encode(action)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as DependencyUnavailableError).retriable).toBe(true);
  });
});

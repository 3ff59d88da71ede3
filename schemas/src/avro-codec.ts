import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import avro from "avsc";
import { DependencyUnavailableError, UndecodableMessageError } from "./errors.js";
import type { AvroSchemaJson } from "./avro-schemas.js";
import type { SetCompatibility } from "./schema-registry-connection.js";

const MAGIC_BYTE = 0;
const HEADER_BYTES = 5;

type AvroResolver = ReturnType<avro.Type["createResolver"]>;

/**
 * Encodes and decodes one contract in the Confluent wire format (magic byte, 4-byte schema id,
 * Avro body). Reading resolves any registered writer schema into this service's reader schema,
 * so a producer with a newer, compatible schema is understood. Resolvers are cached per writer id:
 * building one per message would cost more than the decision itself.
 */
export class AvroCodec<T> {
  private readonly readerType: avro.Type;
  /** Per writer schema id: the resolver into the reader schema, or undefined when they are equal. */
  private readonly resolvers = new Map<number, { resolver: AvroResolver | undefined }>();
  private writerId: number | undefined;
  /** Per writer schema id: the full name of the record it writes. */
  private readonly writerNames = new Map<number, string>();

  constructor(
    private readonly registry: SchemaRegistry,
    readonly subject: string,
    readonly schema: AvroSchemaJson,
  ) {
    this.readerType = avro.Type.forSchema(schema as avro.Schema);
  }

  /** Registers the schema under its subject with BACKWARD compatibility; idempotent. */
  async register(setCompatibility: SetCompatibility): Promise<number> {
    await setCompatibility(this.subject, "BACKWARD");
    const { id } = await this.registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(this.schema) },
      { subject: this.subject },
    );
    this.writerId = id;
    return id;
  }

  encode(value: T): Buffer {
    if (this.writerId === undefined) throw new Error(`schema for ${this.subject} is not registered yet`);
    const body = this.readerType.toBuffer(value);
    const framed = Buffer.allocUnsafe(HEADER_BYTES + body.length);
    framed.writeUInt8(MAGIC_BYTE, 0);
    framed.writeUInt32BE(this.writerId, 1);
    body.copy(framed, HEADER_BYTES);
    return framed;
  }

  async decode(bytes: Buffer | null): Promise<T> {
    const writerId = writerIdOf(bytes);
    const { resolver } = this.resolvers.get(writerId) ?? (await this.resolverFor(writerId));
    return this.read(bytes as Buffer, writerId, resolver);
  }

  /**
   * Decodes like `decode` when the message's writer schema has been seen before, without waiting for
   * anything; undefined when it has not (then `decode` fetches it). A consumer decoding thousands of
   * messages a batch saves a promise and a turn of the microtask queue on each.
   */
  decodeKnown(bytes: Buffer | null): T | undefined {
    const writerId = writerIdOf(bytes);
    const known = this.resolvers.get(writerId);
    return known === undefined ? undefined : this.read(bytes as Buffer, writerId, known.resolver);
  }

  /**
   * The full name of the record a message's writer schema writes (`dev.mandate.v1.ActionProposed`),
   * read from the registry by the message's schema id without decoding its body: what tells two record
   * types on one topic apart, whatever a header claims. Throws like `decode` for an unknown id.
   */
  async writerRecordName(bytes: Buffer | null): Promise<string> {
    const writerId = writerIdOf(bytes);
    const known = this.writerNames.get(writerId);
    if (known !== undefined) return known;
    const name = (await this.writerType(writerId)).name ?? "";
    this.writerNames.set(writerId, name);
    return name;
  }

  private read(bytes: Buffer, writerId: number, resolver: AvroResolver | undefined): T {
    try {
      const { value, offset } = this.readerType.decode(bytes, HEADER_BYTES, resolver);
      if (offset !== bytes.length)
        throw new Error(offset < 0 ? "truncated Avro body" : "trailing bytes after the Avro body");
      return value as T;
    } catch (error) {
      throw new UndecodableMessageError("not_avro", `Avro body does not decode with schema id ${writerId}`, {
        cause: error,
      });
    }
  }

  private async resolverFor(writerId: number): Promise<{ resolver: AvroResolver | undefined }> {
    const writerType = await this.writerType(writerId);
    let resolver: AvroResolver | undefined;
    try {
      resolver = writerType.equals(this.readerType) ? undefined : this.readerType.createResolver(writerType);
    } catch (error) {
      throw new UndecodableMessageError("invalid_record", `schema id ${writerId} cannot be read as ${this.subject}`, {
        cause: error,
      });
    }
    const entry = { resolver };
    this.resolvers.set(writerId, entry);
    return entry;
  }

  private async writerType(writerId: number): Promise<avro.Type> {
    try {
      return (await this.registry.getSchema(writerId)) as unknown as avro.Type;
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 404) {
        throw new UndecodableMessageError("unknown_schema_id", `schema id ${writerId} is not in the registry`, {
          cause: error,
        });
      }
      throw new DependencyUnavailableError(`schema registry did not return schema id ${writerId}`, { cause: error });
    }
  }
}

/** The writer schema id of a message in the Confluent wire format; throws for anything else. */
function writerIdOf(bytes: Buffer | null): number {
  if (!bytes || bytes.length < HEADER_BYTES || bytes.readUInt8(0) !== MAGIC_BYTE) {
    throw new UndecodableMessageError("not_avro", "message is not in the Confluent Avro wire format (no magic byte)");
  }
  return bytes.readUInt32BE(1);
}

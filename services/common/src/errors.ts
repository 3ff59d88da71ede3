/**
 * Errors are classes with a `retriable` flag: the consume loops retry retriable ones with backoff
 * and send the rest to the dead-letter path at once. Nothing decides by matching message text.
 */
export abstract class MandateError extends Error {
  abstract readonly retriable: boolean;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The bytes are not a Confluent-framed Avro message we can read. */
export class UndecodableMessageError extends MandateError {
  readonly retriable = false;
  constructor(
    readonly reason: "not_avro" | "unknown_schema_id" | "too_large" | "invalid_record",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A dependency (registry, ClickHouse, broker) did not answer; trying again later may work. */
export class DependencyUnavailableError extends MandateError {
  readonly retriable = true;
}

/** Configuration is invalid; the service must not start. */
export class ConfigError extends MandateError {
  readonly retriable = false;
}

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

/**
 * Whether trying again later can work. A MandateError says so itself. Any other error comes from a
 * dependency's client (a refused connection, a timeout, a broker whose own retries ran out) and means
 * the dependency did not answer, which a later attempt can change.
 *
 * NOTE: kafkajs errors carry a `retriable` flag of their own, but it says whether kafkajs retries the
 * request itself; once it gave up (KafkaJSNumberOfRetriesExceeded is not retriable) a rebuild later
 * still can work, so it is not read here.
 */
export function isRetriable(error: unknown): boolean {
  return error instanceof MandateError ? error.retriable : true;
}

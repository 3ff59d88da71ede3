import type { KafkaSecurity } from "./kafka/kafka-security.js";
import { warningsToStderr, type Logger } from "./kafka/logger.js";
import { type SchemaRegistryAuth, type SchemaRegistryTls, DEFAULT_TOPICS, type TopicNames } from "@mandate/contracts";

export interface ConnectionOptions {
  kafkaBrokers: string[];
  /** TLS and SASL towards the brokers; plaintext when omitted (a local broker only). */
  kafkaSecurity?: KafkaSecurity;
  schemaRegistryUrl: string;
  /** Basic auth towards the registry; none when omitted (an open, local registry). */
  schemaRegistryAuth?: SchemaRegistryAuth;
  /** The CA of an https registry; the system CAs when omitted. */
  schemaRegistryTls?: SchemaRegistryTls;
  /** Override only to isolate tests; production uses the default topic names. */
  topics?: TopicNames;
  /**
   * Where the SDK reports (a pino logger fits as it is); warnings and errors as JSON lines on stderr when
   * omitted, `silentLogger` for none. Never stdout.
   */
  logger?: Logger;
}

export function topicsOf(options: ConnectionOptions): TopicNames {
  return options.topics ?? DEFAULT_TOPICS;
}

/** The caller's logger, or warnings to stderr under `name`. */
export function loggerOf(options: ConnectionOptions, name: string): Logger {
  return options.logger ?? warningsToStderr(name);
}

/** How long `propose()` waits for a verdict unless told otherwise; no verdict in time means no execution. */
export const DEFAULT_VERDICT_TIMEOUT_MS = 10_000;

/** How long `run()` waits for the verdict and the executor's result together unless told otherwise. */
export const DEFAULT_RUN_TIMEOUT_MS = 30_000;

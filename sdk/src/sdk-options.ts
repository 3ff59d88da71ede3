import type { KafkaSecurity } from "../../services/common/src/kafka-security.js";
import type { SchemaRegistryAuth, SchemaRegistryTls } from "../../services/common/src/schema-registry-connection.js";
import { DEFAULT_TOPICS, type TopicNames } from "../../services/common/src/topics.js";

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
}

export function topicsOf(options: ConnectionOptions): TopicNames {
  return options.topics ?? DEFAULT_TOPICS;
}

/** How long `propose()` waits for a verdict unless told otherwise; no verdict in time means no execution. */
export const DEFAULT_VERDICT_TIMEOUT_MS = 10_000;

/** How long `run()` waits for the verdict and the executor's result together unless told otherwise. */
export const DEFAULT_RUN_TIMEOUT_MS = 30_000;

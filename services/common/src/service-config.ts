import { z } from "zod";
import { ConfigError, DEFAULT_TOPICS, type TopicNames } from "@mandate/contracts";
import { kafkaSecurityFromEnv, kafkaSecuritySchema } from "./kafka-security-config.js";
import {
  schemaRegistryAuthSchema,
  schemaRegistrySecurityFromEnv,
  schemaRegistryTlsSchema,
} from "./schema-registry-config.js";
import { topicSettingsSchema } from "./topic-settings.js";

export const topicNamesSchema = z.object({
  actions: z.string().min(1),
  decisions: z.string().min(1),
  registry: z.string().min(1),
  policies: z.string().min(1),
  deadLetters: z.string().min(1),
  validatorKeys: z.string().min(1),
  validatorState: z.string().min(1),
  executions: z.string().min(1),
});

/** Settings every service shares: where Kafka and the registry are, and which topics to use. */
export const connectionConfigSchema = z.object({
  kafkaBrokers: z.array(z.string().regex(/^[^\s:]+:\d+$/, "expected host:port")).min(1),
  /** TLS and SASL towards the brokers; plaintext when both are null (a local broker only). */
  kafkaSecurity: kafkaSecuritySchema.default({ tls: null, sasl: null }),
  schemaRegistryUrl: z.string().url(),
  /** Basic auth towards the registry; null (default) for an open, local one. */
  schemaRegistryAuth: schemaRegistryAuthSchema,
  /** The CA of an https registry; null (default) trusts the system CAs. */
  schemaRegistryTls: schemaRegistryTlsSchema,
  topics: topicNamesSchema.default(DEFAULT_TOPICS),
  /** Port of /healthz, /readyz and /metrics; 0 picks a free one; null (default) serves none. */
  httpPort: z.number().int().min(0).max(65535).nullable().default(null),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Partitions, replication factor and min.insync.replicas of the topics (checked, and used to create them). */
  ...topicSettingsSchema.shape,
});

/** Parses once, reporting every problem together, so a misconfigured service fails at start with one message. */
export function parseConfig<S extends z.ZodTypeAny>(service: string, schema: S, raw: unknown): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  - ${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new ConfigError(`${service}: invalid configuration\n${problems.join("\n")}`);
  }
  return parsed.data;
}

/** The variable that overrides one topic name: `deadLetters` → `MANDATE_TOPIC_DEAD_LETTERS`. */
export function topicEnvName(name: string): string {
  return `MANDATE_TOPIC_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** The environment that makes a service use `topics` (how tests point a child process at isolated topics). */
export function topicsToEnv(topics: TopicNames): Record<string, string> {
  return Object.fromEntries(Object.entries(topics).map(([name, topic]) => [topicEnvName(name), topic]));
}

/**
 * Reads the shared settings from the environment; undefined values fall through to defaults.
 * Each topic name can be overridden with `MANDATE_TOPIC_<NAME>` (e.g. `MANDATE_TOPIC_DEAD_LETTERS`);
 * `MANDATE_TOPIC_REPLICATION_FACTOR` and `MANDATE_TOPIC_MIN_INSYNC_REPLICAS` are settings, not topic names.
 */
export function connectionSettingsFromEnv(env: NodeJS.ProcessEnv) {
  const topics = Object.fromEntries(
    Object.entries(DEFAULT_TOPICS).map(([name, fallback]) => [name, env[topicEnvName(name)] ?? fallback]),
  );
  return {
    topics,
    kafkaBrokers: env.MANDATE_KAFKA_BROKERS?.split(",")
      .map((b) => b.trim())
      .filter(Boolean) ?? ["127.0.0.1:9092"],
    kafkaSecurity: kafkaSecurityFromEnv(env),
    schemaRegistryUrl: env.MANDATE_SCHEMA_REGISTRY_URL ?? "http://127.0.0.1:8081",
    ...schemaRegistrySecurityFromEnv(env),
    logLevel: env.MANDATE_LOG_LEVEL,
    actionPartitions: numberFromEnv(env.MANDATE_ACTION_PARTITIONS),
    topicReplicationFactor: numberFromEnv(env.MANDATE_TOPIC_REPLICATION_FACTOR),
    topicMinInsyncReplicas: numberFromEnv(env.MANDATE_TOPIC_MIN_INSYNC_REPLICAS),
    httpPort: numberFromEnv(env.MANDATE_HTTP_PORT),
  };
}

export function numberFromEnv(value: string | undefined): number | undefined {
  return value === undefined || value === "" ? undefined : Number(value);
}

import type { Admin, ConfigResourceTypes, ITopicConfig, Kafka } from "kafkajs";
import { ConfigError, type TopicNames } from "@mandate/contracts";
import type { Logger } from "./logger.js";
import {
  CHECKED_CONFIGS,
  TopicSettingsError,
  topicProblems,
  topicSpecs,
  type DescribedTopic,
  type TopicLayout,
  type TopicProblem,
  type TopicSpec,
} from "./topic-settings.js";

export type { TopicLayout } from "./topic-settings.js";

// NOTE: Node cannot see kafkajs's `ConfigResourceTypes` as a named export from ESM (its CommonJS exports
// object defeats the export lexer), so the value is spelled here: 2 is a topic.
const TOPIC_RESOURCE = 2 as ConfigResourceTypes.TOPIC;

/** What `inspectTopics` found: the topics that do not exist, and what is wrong with those that do. */
export interface TopicInspection {
  missing: TopicSpec[];
  problems: TopicProblem[];
}

/** Compares every topic the services use with the layout: the metadata and the configs the broker describes. */
export async function inspectTopics(admin: Admin, topics: TopicNames, layout: TopicLayout): Promise<TopicInspection> {
  const specs = topicSpecs(topics, layout);
  const existing = new Set(await admin.listTopics());
  const present = specs.filter((s) => existing.has(s.name));
  const described = await describeTopics(
    admin,
    present.map((s) => s.name),
  );
  return {
    missing: specs.filter((s) => !existing.has(s.name)),
    problems: present.flatMap((spec) => topicProblems(spec, described.get(spec.name) as DescribedTopic)),
  };
}

/**
 * Creates the missing topics with the layout's partitions, replication and `min.insync.replicas` (the broker
 * never auto-creates), after checking the existing ones: a topic whose settings would lose data refuses the
 * start with a `TopicSettingsError` listing every problem (see `topicProblems` for what is fatal). Registry,
 * policies, validator keys and validator state are compacted: Kafka is their source of truth and the latest
 * value per key wins.
 * Returns what it created and the warnings about what exists.
 */
export async function ensureTopics(
  admin: Admin,
  topics: TopicNames,
  layout: TopicLayout,
): Promise<{ created: TopicSpec[]; warnings: TopicProblem[] }> {
  const { missing, problems } = await inspectTopics(admin, topics, layout);
  const fatal = problems.filter((p) => p.severity === "fatal");
  if (fatal.length > 0) throw new TopicSettingsError(fatal);
  await createTopics(admin, missing);
  return { created: missing, warnings: problems.filter((p) => p.severity === "warning") };
}

/**
 * A service's start: `ensureTopics` on an admin of its own, disconnected whatever happens, each warning
 * logged. Creates missing topics with the configured replication, and refuses to start on topics whose
 * settings would lose data (the error lists every one).
 */
export async function prepareTopics(
  kafka: Kafka,
  topics: TopicNames,
  layout: TopicLayout,
  logger: Logger,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { warnings } = await ensureTopics(admin, topics, layout);
    for (const warning of warnings) logger.warn({ event: "topic_setting", ...warning }, warning.why);
  } finally {
    await admin.disconnect();
  }
}

/** Creates `specs`, waiting until every partition has a leader that answers. */
export async function createTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<void> {
  if (specs.length === 0) return;
  const wantedReplicas = Math.max(...specs.map((s) => s.replicationFactor ?? 1));
  const { brokers } = await admin.describeCluster();
  if (brokers.length < wantedReplicas) {
    throw new ConfigError(
      `topic settings: replication factor ${wantedReplicas} needs ${wantedReplicas} brokers; the cluster has ` +
        `${brokers.length} (MANDATE_TOPIC_REPLICATION_FACTOR and MANDATE_TOPIC_MIN_INSYNC_REPLICAS: 1 for a single broker)`,
    );
  }
  const wanted: ITopicConfig[] = specs.map((s) => ({
    topic: s.name,
    numPartitions: s.partitions,
    // -1: the broker's default.replication.factor, for callers that leave replication to the broker.
    replicationFactor: s.replicationFactor ?? -1,
    configEntries: [
      ...(s.compacted ? [{ name: "cleanup.policy", value: "compact" }] : []),
      ...(s.maxMessageBytes === undefined ? [] : [{ name: "max.message.bytes", value: String(s.maxMessageBytes) }]),
      ...(s.minInsyncReplicas === undefined
        ? []
        : [{ name: "min.insync.replicas", value: String(s.minInsyncReplicas) }]),
    ],
  }));
  // NOTE: kafkajs's `waitForLeaders` gives up on UNKNOWN_TOPIC_OR_PARTITION, which a KRaft broker
  // answers for a moment after creating a topic; wait for the leaders here instead.
  await admin.createTopics({ topics: wanted, waitForLeaders: false });
  await waitForLeaders(
    admin,
    specs.map((s) => s.name),
  );
}

async function describeTopics(admin: Admin, names: readonly string[]): Promise<Map<string, DescribedTopic>> {
  if (names.length === 0) return new Map();
  const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...names] });
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: names.map((name) => ({ type: TOPIC_RESOURCE, name, configNames: [...CHECKED_CONFIGS] })),
  });
  const configs = new Map(
    resources.map((r) => [
      r.resourceName,
      Object.fromEntries(r.configEntries.map((e) => [e.configName, e.configValue])),
    ]),
  );
  return new Map(
    metadata.map((t) => [
      t.name,
      {
        name: t.name,
        partitions: t.partitions.length,
        replicationFactor: Math.min(...t.partitions.map((p) => p.replicas.length)),
        configs: configs.get(t.name) ?? {},
      },
    ]),
  );
}

async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
      if (metadata.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) {
        // A leader in the metadata may still answer NOT_LEADER for a moment; offsets answering is the real readiness.
        for (const topic of topics) await admin.fetchTopicOffsets(topic);
        return;
      }
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`topics have no leader after ${timeoutMs} ms: ${topics.join(", ")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

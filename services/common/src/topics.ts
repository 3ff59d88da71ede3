import type { Admin, ITopicConfig } from "kafkajs";

/** Topic names; configurable so tests can isolate themselves on one broker. */
export interface TopicNames {
  actions: string;
  decisions: string;
  registry: string;
  policies: string;
  deadLetters: string;
  /** Compacted: each validator's public key, keyed by validator id; executors verify decisions with it. */
  validatorKeys: string;
  /** What executors did with each decision (executed, refused, failed), keyed by agent id. */
  executions: string;
}

export const DEFAULT_TOPICS: TopicNames = {
  actions: "agent.actions.v1",
  decisions: "agent.decisions.v1",
  registry: "agent.registry.v1",
  policies: "governance.policies.v1",
  deadLetters: "mandate.dead-letters.v1",
  validatorKeys: "mandate.validator-keys.v1",
  executions: "mandate.executions.v1",
};

/** Random topic names, so test suites sharing one broker never see each other's messages. */
export function isolatedTopics(tag: string): TopicNames {
  const suffix = `${tag}-${Math.random().toString(36).slice(2, 8)}`;
  return {
    actions: `agent.actions.${suffix}`,
    decisions: `agent.decisions.${suffix}`,
    registry: `agent.registry.${suffix}`,
    policies: `governance.policies.${suffix}`,
    deadLetters: `mandate.dead-letters.${suffix}`,
    validatorKeys: `mandate.validator-keys.${suffix}`,
    executions: `mandate.executions.${suffix}`,
  };
}

export interface TopicLayout {
  /** Partitions of the action and decision topics: the unit of validator parallelism. */
  actionPartitions: number;
}

/**
 * Creates the topics with explicit partition counts (the broker never auto-creates).
 * Registry, policies and validator keys are compacted: Kafka is their source of truth and the latest
 * value per key wins.
 */
export async function ensureTopics(admin: Admin, topics: TopicNames, layout: TopicLayout): Promise<void> {
  const compacted = [{ name: "cleanup.policy", value: "compact" }];
  const wanted: ITopicConfig[] = [
    { topic: topics.actions, numPartitions: layout.actionPartitions, replicationFactor: 1 },
    { topic: topics.decisions, numPartitions: layout.actionPartitions, replicationFactor: 1 },
    { topic: topics.registry, numPartitions: 1, replicationFactor: 1, configEntries: compacted },
    { topic: topics.policies, numPartitions: 1, replicationFactor: 1, configEntries: compacted },
    { topic: topics.deadLetters, numPartitions: 1, replicationFactor: 1 },
    { topic: topics.validatorKeys, numPartitions: 1, replicationFactor: 1, configEntries: compacted },
    { topic: topics.executions, numPartitions: layout.actionPartitions, replicationFactor: 1 },
  ];
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return;
  // NOTE: kafkajs's `waitForLeaders` gives up on UNKNOWN_TOPIC_OR_PARTITION, which a KRaft broker
  // answers for a moment after creating a topic; wait for the leaders here instead.
  await admin.createTopics({ topics: missing, waitForLeaders: false });
  await waitForLeaders(
    admin,
    missing.map((t) => t.topic),
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

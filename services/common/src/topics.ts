import type { Admin, ITopicConfig } from "kafkajs";

/** Topic names; configurable so tests can isolate themselves on one broker. */
export interface TopicNames {
  actions: string;
  decisions: string;
  registry: string;
  policies: string;
  deadLetters: string;
}

export const DEFAULT_TOPICS: TopicNames = {
  actions: "agent.actions.v1",
  decisions: "agent.decisions.v1",
  registry: "agent.registry.v1",
  policies: "governance.policies.v1",
  deadLetters: "mandate.dead-letters.v1",
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
  };
}

export interface TopicLayout {
  /** Partitions of the action and decision topics: the unit of validator parallelism. */
  actionPartitions: number;
}

/**
 * Creates the topics with explicit partition counts (the broker never auto-creates).
 * Registry and policies are compacted: Kafka is their source of truth and the latest version per key wins.
 */
export async function ensureTopics(admin: Admin, topics: TopicNames, layout: TopicLayout): Promise<void> {
  const compacted = [{ name: "cleanup.policy", value: "compact" }];
  const wanted: ITopicConfig[] = [
    { topic: topics.actions, numPartitions: layout.actionPartitions, replicationFactor: 1 },
    { topic: topics.decisions, numPartitions: layout.actionPartitions, replicationFactor: 1 },
    { topic: topics.registry, numPartitions: 1, replicationFactor: 1, configEntries: compacted },
    { topic: topics.policies, numPartitions: 1, replicationFactor: 1, configEntries: compacted },
    { topic: topics.deadLetters, numPartitions: 1, replicationFactor: 1 },
  ];
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter((t) => !existing.has(t.topic));
  if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
}

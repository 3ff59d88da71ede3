import type { ClickHouseTarget } from "@mandate/common/clickhouse-target";
import type { TopicSettings } from "@mandate/common/topic-settings";

/** How the services should replicate their topics on a stack's Kafka. */
export type TopicReplication = Pick<TopicSettings, "topicReplicationFactor" | "topicMinInsyncReplicas">;

/** The running parts a pipeline needs, however they were started. */
export interface InfraStack {
  kafkaBrokers: string[];
  schemaRegistryUrl: string;
  /** Undefined when the stack was started without ClickHouse. */
  clickhouse: ClickHouseTarget | undefined;
  /** What the stack's Kafka can hold; one copy of each partition when undefined (a single broker). */
  topicReplication?: TopicReplication;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** `embedded`: a fresh chdb data directory; `server`: a private clickhouse-server; `none`: no trail. */
  clickhouse: "embedded" | "server" | "none";
  /** Kafka nodes (local processes only): 1 broker, or a 3-node KRaft cluster. 1 when omitted. */
  kafkaNodes?: 1 | 3;
}

/**
 * The topic replication a cluster of `nodes` brokers can hold: every message on 3 brokers and an
 * `acks=all` write acknowledged by 2 of them once there are 3 (the services' defaults), else one copy.
 */
export function topicReplicationFor(nodes: number): TopicReplication {
  return nodes >= 3
    ? { topicReplicationFactor: 3, topicMinInsyncReplicas: 2 }
    : { topicReplicationFactor: 1, topicMinInsyncReplicas: 1 };
}

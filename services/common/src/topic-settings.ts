import { z } from "zod";
import { ConfigError, MandateError, type TopicNames } from "@mandate/contracts";

/**
 * How the topics are laid out on the cluster. The defaults suit a 3-broker cluster: every message on
 * 3 brokers, and an `acks=all` write acknowledged only once 2 of them hold it, so losing one broker
 * loses nothing acknowledged. A single local broker needs 1 and 1, set explicitly by the launcher.
 */
export const topicSettingsSchema = z.object({
  /** Partitions of the action, decision and execution topics: the unit of validator parallelism. */
  actionPartitions: z.number().int().min(1).max(1000).default(6),
  topicReplicationFactor: z.number().int().min(1).max(32).default(3),
  topicMinInsyncReplicas: z.number().int().min(1).max(32).default(2),
});

export type TopicSettings = z.infer<typeof topicSettingsSchema>;

/**
 * What a caller of `ensureTopics` says about the layout. Replication left out means the broker's own
 * defaults (`default.replication.factor`, `min.insync.replicas`), and then it is not checked either.
 */
export type TopicLayout = Pick<TopicSettings, "actionPartitions"> &
  Partial<Pick<TopicSettings, "topicReplicationFactor" | "topicMinInsyncReplicas">>;

/** One topic as it should be. */
export interface TopicSpec {
  role: keyof TopicNames;
  name: string;
  partitions: number;
  /** Whether fewer partitions than `partitions` refuses a start (actions, decisions, and the validator state written per action partition). */
  partitionsMatter: boolean;
  /** Compacted topics are a source of truth: the latest value per key must stay for ever. */
  compacted: boolean;
  replicationFactor: number | undefined;
  minInsyncReplicas: number | undefined;
  /** Set at creation when larger records than the broker's default (1 MiB) must fit. */
  maxMessageBytes?: number;
}

/** One topic as the cluster has it: partitions and replicas from the metadata, settings from describeConfigs. */
export interface DescribedTopic {
  name: string;
  partitions: number;
  /** The fewest replicas any of its partitions has. */
  replicationFactor: number;
  configs: Readonly<Record<string, string>>;
}

/**
 * `fatal`: running on it can lose or silently drop data, so a service refuses to start.
 * `warning`: it works, but not as configured (more room than asked for, or an unbounded topic).
 */
export type TopicProblemSeverity = "fatal" | "warning";

export interface TopicProblem {
  topic: string;
  setting: string;
  found: string;
  expected: string;
  severity: TopicProblemSeverity;
  why: string;
}

/** The configs `describeTopicConfigs` asks the broker for. */
export const CHECKED_CONFIGS = ["cleanup.policy", "retention.ms", "retention.bytes", "min.insync.replicas"] as const;

const COMPACTED_ROLES: ReadonlySet<keyof TopicNames> = new Set([
  "registry",
  "policies",
  "validatorKeys",
  "validatorState",
]);

/**
 * One agent's validator-state record holds its whole replay window (up to `replayWindowMaxPerAgent`
 * envelopes, 20 000 by default: about 2 MB) besides its baseline and sessions (at most 2 MiB).
 */
const VALIDATOR_STATE_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

/** Every topic the services use, as the layout wants it. */
export function topicSpecs(topics: TopicNames, layout: TopicLayout): TopicSpec[] {
  const replicationFactor = layout.topicReplicationFactor;
  const minInsyncReplicas = layout.topicMinInsyncReplicas;
  if (replicationFactor !== undefined && minInsyncReplicas !== undefined && minInsyncReplicas > replicationFactor) {
    throw new ConfigError(
      `topic settings: min.insync.replicas ${minInsyncReplicas} is above the replication factor ${replicationFactor}: ` +
        "every acks=all write would be refused (MANDATE_TOPIC_MIN_INSYNC_REPLICAS, MANDATE_TOPIC_REPLICATION_FACTOR)",
    );
  }
  const partitionsOf: Record<keyof TopicNames, number> = {
    actions: layout.actionPartitions,
    decisions: layout.actionPartitions,
    executions: layout.actionPartitions,
    validatorState: layout.actionPartitions,
    registry: 1,
    policies: 1,
    deadLetters: 1,
    validatorKeys: 1,
  };
  return (Object.keys(partitionsOf) as Array<keyof TopicNames>).map((role) => ({
    role,
    name: topics[role],
    partitions: partitionsOf[role],
    partitionsMatter: role === "actions" || role === "decisions" || role === "validatorState",
    compacted: COMPACTED_ROLES.has(role),
    replicationFactor,
    minInsyncReplicas,
    ...(role === "validatorState" ? { maxMessageBytes: VALIDATOR_STATE_MAX_MESSAGE_BYTES } : {}),
  }));
}

/**
 * What is wrong with one existing topic. Pure, so every rule is unit-tested; the classification:
 *
 * fatal
 * - a compacted topic (registry, policies, validator keys) that deletes by retention (`cleanup.policy`
 *   with `delete` and a finite `retention.ms`/`retention.bytes`): the latest registration, policy set or
 *   validator key of a key older than the retention is deleted, and agents or policies vanish;
 * - any other topic that is compacted: only the latest action, decision or letter per key survives;
 * - the action or decision topic with fewer partitions than configured: the configured parallelism is not
 *   there, and growing the topic later moves agents to other partitions away from the per-partition state
 *   (replay window, provenance) the validator keeps for them;
 * - a replication factor below the configured one: a broker loss can lose acknowledged messages;
 * - `min.insync.replicas` below the configured one: `acks=all` is acknowledged with fewer copies;
 * - `min.insync.replicas` above the topic's replication factor: every `acks=all` write is refused.
 *
 * warning
 * - a compacted topic that is not compacted but keeps everything: nothing is lost, but it grows for ever
 *   and every start replays every version;
 * - more partitions, replicas or in-sync replicas than configured: more than asked for, and Kafka cannot
 *   shrink a topic's partitions anyway.
 */
export function topicProblems(spec: TopicSpec, found: DescribedTopic): TopicProblem[] {
  const problems: TopicProblem[] = [];
  const problem = (setting: string, f: string, expected: string, severity: TopicProblemSeverity, why: string) =>
    problems.push({ topic: spec.name, setting, found: f, expected, severity, why });

  const policy = found.configs["cleanup.policy"] ?? "delete";
  const policies = new Set(policy.split(",").map((p) => p.trim()));
  const retention = ["retention.ms", "retention.bytes"]
    .map((name) => [name, found.configs[name]] as const)
    .filter(([, value]) => value !== undefined && value !== "-1")
    .map(([name, value]) => `${name}=${value}`);
  // NOTE: an absent retention.ms is Kafka's default of 7 days, so it counts as finite.
  if (found.configs["retention.ms"] === undefined) retention.push("retention.ms=(default)");
  if (spec.compacted) {
    const deletes = policies.has("delete") && retention.length > 0;
    if (deletes) {
      problem(
        "cleanup.policy",
        `${policy} (${retention.join(", ")})`,
        "compact",
        "fatal",
        "the latest value of a key older than the retention is deleted: registrations, policies or validator keys vanish",
      );
    } else if (!policies.has("compact")) {
      problem(
        "cleanup.policy",
        policy,
        "compact",
        "warning",
        "not compacted: every version is kept for ever and replayed at each start",
      );
    }
  } else if (policies.has("compact")) {
    problem(
      "cleanup.policy",
      policy,
      "delete",
      "fatal",
      "a compacted log keeps only the latest message per key: earlier actions, decisions or letters are lost",
    );
  }

  if (found.partitions < spec.partitions && spec.partitionsMatter) {
    problem(
      "partitions",
      String(found.partitions),
      String(spec.partitions),
      "fatal",
      "fewer partitions than configured; adding them later moves agents away from their per-partition state",
    );
  } else if (found.partitions > spec.partitions && spec.partitionsMatter) {
    problem(
      "partitions",
      String(found.partitions),
      String(spec.partitions),
      "warning",
      "more partitions than configured (MANDATE_ACTION_PARTITIONS)",
    );
  }

  if (spec.replicationFactor !== undefined && found.replicationFactor !== spec.replicationFactor) {
    const below = found.replicationFactor < spec.replicationFactor;
    problem(
      "replication factor",
      String(found.replicationFactor),
      String(spec.replicationFactor),
      below ? "fatal" : "warning",
      below
        ? "fewer copies than configured: a broker loss can lose acknowledged messages"
        : "more copies than configured",
    );
  }

  const minInsync = found.configs["min.insync.replicas"];
  if (minInsync !== undefined) {
    const value = Number(minInsync);
    if (spec.minInsyncReplicas !== undefined && value !== spec.minInsyncReplicas) {
      const below = value < spec.minInsyncReplicas;
      problem(
        "min.insync.replicas",
        minInsync,
        String(spec.minInsyncReplicas),
        below ? "fatal" : "warning",
        below ? "an acks=all write is acknowledged with fewer copies than configured" : "more than configured",
      );
    }
    if (value > found.replicationFactor) {
      problem(
        "min.insync.replicas",
        minInsync,
        `at most the replication factor ${found.replicationFactor}`,
        "fatal",
        "more in-sync replicas required than the topic has: every acks=all write is refused",
      );
    }
  }
  return problems;
}

/** Problems as lines, one a problem: `topic  setting: found X, expected Y (why)`. */
export function formatTopicProblems(problems: readonly TopicProblem[]): string {
  return problems
    .map((p) => `  - ${p.severity} ${p.topic} ${p.setting}: found ${p.found}, expected ${p.expected} (${p.why})`)
    .join("\n");
}

/** An existing topic would lose data with the configured settings; the service must not start on it. */
export class TopicSettingsError extends MandateError {
  readonly retriable = false;
  constructor(readonly problems: readonly TopicProblem[]) {
    super(
      `topics whose settings would lose data; fix them (or the configuration) and start again:\n${formatTopicProblems(problems)}`,
    );
  }
}

import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_TOPICS } from "@mandate/contracts";
import { connectionConfigSchema, connectionSettingsFromEnv } from "@mandate/common/service-config";
import {
  TopicSettingsError,
  topicProblems,
  topicSpecs,
  type DescribedTopic,
  type TopicSpec,
} from "@mandate/common/topic-settings";

const cluster = { actionPartitions: 6, topicReplicationFactor: 3, topicMinInsyncReplicas: 2 };
const specs = topicSpecs(DEFAULT_TOPICS, cluster);
const spec = (role: TopicSpec["role"]) => specs.find((s) => s.role === role) as TopicSpec;

/** A topic exactly as `spec` wants it; `changes` then make it wrong. */
function described(wanted: TopicSpec, changes: Partial<DescribedTopic> & { set?: Record<string, string> } = {}) {
  const { set, ...rest } = changes;
  return {
    name: wanted.name,
    partitions: wanted.partitions,
    replicationFactor: 3,
    configs: {
      "cleanup.policy": wanted.compacted ? "compact" : "delete",
      "retention.ms": "604800000",
      "retention.bytes": "-1",
      "min.insync.replicas": "2",
      ...set,
    },
    ...rest,
  };
}

describe("topic settings", () => {
  it("defaults to a 3-broker cluster, reads both variables, and the launcher's 1 and 1", () => {
    const defaults = connectionConfigSchema.parse(connectionSettingsFromEnv({}));
    expect(defaults).toMatchObject(cluster);
    const local = connectionConfigSchema.parse(
      connectionSettingsFromEnv({ MANDATE_TOPIC_REPLICATION_FACTOR: "1", MANDATE_TOPIC_MIN_INSYNC_REPLICAS: "1" }),
    );
    expect(local).toMatchObject({ topicReplicationFactor: 1, topicMinInsyncReplicas: 1 });
    expect(
      connectionConfigSchema.safeParse(connectionSettingsFromEnv({ MANDATE_TOPIC_REPLICATION_FACTOR: "0" })).success,
    ).toBe(false);
  });

  it("refuses min.insync.replicas above the replication factor: no write could ever be acknowledged", () => {
    expect(() => topicSpecs(DEFAULT_TOPICS, { ...cluster, topicMinInsyncReplicas: 4 })).toThrow(ConfigError);
  });

  it("compacts the registry, policies, validator keys and validator state, and nothing else", () => {
    expect(
      specs
        .filter((s) => s.compacted)
        .map((s) => s.role)
        .sort(),
    ).toEqual(["policies", "registry", "validatorKeys", "validatorState"]);
  });

  it("partitions the validator state like the actions, and lets its records be larger than 1 MiB", () => {
    const state = specs.find((s) => s.role === "validatorState");
    expect(state).toMatchObject({ partitions: cluster.actionPartitions, partitionsMatter: true });
    expect(state?.maxMessageBytes).toBeGreaterThan(4 * 1024 * 1024);
  });

  it("finds nothing wrong with topics as configured", () => {
    for (const wanted of specs) expect(topicProblems(wanted, described(wanted))).toEqual([]);
  });

  it("a registry that deletes by retention loses registrations: fatal, naming topic, setting, found and expected", () => {
    const problems = topicProblems(
      spec("registry"),
      described(spec("registry"), { set: { "cleanup.policy": "delete" } }),
    );
    expect(problems).toEqual([
      expect.objectContaining({
        topic: "agent.registry.v1",
        setting: "cleanup.policy",
        found: "delete (retention.ms=604800000)",
        expected: "compact",
        severity: "fatal",
      }),
    ]);
    const both = { "cleanup.policy": "compact,delete", "retention.ms": "-1", "retention.bytes": "1073741824" };
    expect(topicProblems(spec("policies"), described(spec("policies"), { set: both }))[0]?.severity).toBe("fatal");
  });

  it("a compacted topic kept for ever without compaction loses nothing: a warning", () => {
    const forever = { "cleanup.policy": "delete", "retention.ms": "-1", "retention.bytes": "-1" };
    expect(topicProblems(spec("validatorKeys"), described(spec("validatorKeys"), { set: forever }))).toEqual([
      expect.objectContaining({ setting: "cleanup.policy", severity: "warning" }),
    ]);
  });

  it("a compacted action or decision log keeps one message per key: fatal", () => {
    const problems = topicProblems(
      spec("decisions"),
      described(spec("decisions"), { set: { "cleanup.policy": "compact" } }),
    );
    expect(problems).toEqual([
      expect.objectContaining({ setting: "cleanup.policy", expected: "delete", severity: "fatal" }),
    ]);
  });

  it("fewer action or decision partitions than configured is fatal; more is a warning; other topics are not held to it", () => {
    expect(topicProblems(spec("actions"), described(spec("actions"), { partitions: 3 }))).toEqual([
      expect.objectContaining({ setting: "partitions", found: "3", expected: "6", severity: "fatal" }),
    ]);
    expect(topicProblems(spec("decisions"), described(spec("decisions"), { partitions: 12 }))).toEqual([
      expect.objectContaining({ setting: "partitions", severity: "warning" }),
    ]);
    expect(topicProblems(spec("executions"), described(spec("executions"), { partitions: 1 }))).toEqual([]);
  });

  it("replication and min.insync.replicas below the configured ones are fatal; above, warnings", () => {
    const thin = described(spec("actions"), { replicationFactor: 1, set: { "min.insync.replicas": "1" } });
    expect(topicProblems(spec("actions"), thin).map((p) => [p.setting, p.found, p.expected, p.severity])).toEqual([
      ["replication factor", "1", "3", "fatal"],
      ["min.insync.replicas", "1", "2", "fatal"],
    ]);
    const thick = described(spec("actions"), { replicationFactor: 5, set: { "min.insync.replicas": "3" } });
    expect(topicProblems(spec("actions"), thick).map((p) => p.severity)).toEqual(["warning", "warning"]);
  });

  it("min.insync.replicas above the topic's replicas refuses every write: fatal even when replication is left to the broker", () => {
    const brokerDefaults = topicSpecs(DEFAULT_TOPICS, { actionPartitions: 6 });
    const actions = brokerDefaults.find((s) => s.role === "actions") as TopicSpec;
    const unwritable = described(actions, { replicationFactor: 1, set: { "min.insync.replicas": "2" } });
    expect(topicProblems(actions, unwritable)).toEqual([
      expect.objectContaining({ setting: "min.insync.replicas", found: "2", severity: "fatal" }),
    ]);
  });

  it("the start refusal lists every problem on its own line", () => {
    const problems = [
      ...topicProblems(spec("registry"), described(spec("registry"), { set: { "cleanup.policy": "delete" } })),
      ...topicProblems(spec("actions"), described(spec("actions"), { partitions: 1 })),
    ];
    const error = new TopicSettingsError(problems);
    expect(error.retriable).toBe(false);
    expect(error.message).toMatch(/agent\.registry\.v1 cleanup\.policy: found delete .*expected compact/);
    expect(error.message).toMatch(/agent\.actions\.v1 partitions: found 1, expected 6/);
  });
});

import { execFile } from "node:child_process";
import path from "node:path";
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SINGLE_BROKER_TOPIC_SETTINGS } from "../../infra/src/pipeline.js";
import { topicsToEnv } from "@mandate/common/service-config";
import { TopicSettingsError } from "@mandate/common/topic-settings";
import { ensureTopics, inspectTopics } from "@mandate/common/topics";
import { isolatedTopics, type TopicNames } from "@mandate/contracts";
import { sharedStack } from "../support/shared-stack.js";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const singleBroker = { actionPartitions: 6, ...SINGLE_BROKER_TOPIC_SETTINGS };

/**
 * Topics made wrong by hand with the kafkajs admin, on the suite's real broker: `mandate topics check`
 * lists what is wrong, a service refuses to start on them and says which, `mandate topics apply`
 * creates what is missing with its settings.
 */
describe("topic settings on a real broker", () => {
  const stack = sharedStack("server");
  const kafka = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING });
  let admin: Admin;

  /** A registry that deletes by retention, an action topic of 2 partitions; the rest missing. */
  const broken = isolatedTopics("topics-broken");

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: broken.registry,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [
            { name: "cleanup.policy", value: "delete" },
            { name: "retention.ms", value: "86400000" },
          ],
        },
        { topic: broken.actions, numPartitions: 2, replicationFactor: 1 },
      ],
    });
  });

  afterAll(async () => {
    await admin?.disconnect();
  });

  function run(entry: string[], topics: TopicNames, env: Record<string, string> = {}) {
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ["--import", "@mandate/common/loader", ...entry],
        {
          cwd: repoRoot,
          timeout: 90_000,
          env: {
            ...process.env,
            ...topicsToEnv(topics),
            MANDATE_KAFKA_BROKERS: stack.kafkaBrokers.join(","),
            MANDATE_SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
            MANDATE_LOG_LEVEL: "silent",
            ...env,
          },
        },
        (error, stdout, stderr) => {
          resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
        },
      );
    });
  }
  const local = { MANDATE_TOPIC_REPLICATION_FACTOR: "1", MANDATE_TOPIC_MIN_INSYNC_REPLICAS: "1" };
  const mandate = (args: string[], topics: TopicNames, env: Record<string, string> = local) =>
    run(["services/cli/src/main.ts", ...args], topics, env);

  it("check lists every problem and every missing topic, and exits 1", async () => {
    const { code, stdout } = await mandate(["topics", "check"], broken);
    expect(code).toBe(1);
    expect(stdout).toMatch(
      new RegExp(`fatal ${broken.registry} cleanup\\.policy: found delete \\(retention\\.ms=86400000\\)`),
    );
    expect(stdout).toMatch(new RegExp(`fatal ${broken.actions} partitions: found 2, expected 6`));
    expect(stdout).toContain(`missing ${broken.decisions} (partitions=6, replication.factor=1`);
    expect(stdout).toContain(
      `missing ${broken.policies} (partitions=1, replication.factor=1, min.insync.replicas=1, cleanup.policy=compact)`,
    );
  });

  it("a service refuses to start on them, naming each topic and setting, and creates nothing", async () => {
    await expect(ensureTopics(admin, broken, singleBroker)).rejects.toThrow(TopicSettingsError);
    const { code, stderr } = await run(["services/validator/src/main.ts"], broken, local);
    expect(code).not.toBe(0);
    expect(stderr).toContain("topics whose settings would lose data");
    expect(stderr).toContain(`${broken.registry} cleanup.policy: found delete`);
    expect(stderr).toContain(`${broken.actions} partitions: found 2, expected 6`);
    expect((await inspectTopics(admin, broken, singleBroker)).missing.map((s) => s.role)).toContain("decisions");
  });

  it("the cluster defaults (3 replicas, 2 in sync) find the single broker's topics too thin, and apply refuses to create on it", async () => {
    const topics = isolatedTopics("topics-thin");
    await ensureTopics(admin, topics, singleBroker);
    const check = await mandate(["topics", "check"], topics, {});
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(`fatal ${topics.actions} replication factor: found 1, expected 3`);
    expect(check.stdout).toContain(`fatal ${topics.actions} min.insync.replicas: found 1, expected 2`);

    const apply = await mandate(["topics", "apply"], isolatedTopics("topics-nobrokers"), {});
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(/replication factor 3 needs 3 brokers; the cluster has 1/);
  });

  it("apply creates the missing topics with their settings, then check passes", async () => {
    const topics = isolatedTopics("topics-apply");
    const apply = await mandate(["topics", "apply"], topics);
    expect(apply.code).toBe(0);
    for (const name of Object.values(topics)) expect(apply.stdout).toContain(`created ${name} (`);

    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topics.registry,
          configNames: ["cleanup.policy", "min.insync.replicas"],
        },
      ],
    });
    const configs = Object.fromEntries((resources[0]?.configEntries ?? []).map((e) => [e.configName, e.configValue]));
    expect(configs).toEqual({ "cleanup.policy": "compact", "min.insync.replicas": "1" });
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [topics.actions] });
    expect(metadata[0]?.partitions).toHaveLength(6);

    const again = await mandate(["topics", "apply"], topics);
    expect(again.stdout).toContain("nothing created");
    const check = await mandate(["topics", "check"], topics);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain("every topic exists with settings that lose no data");
  });
});

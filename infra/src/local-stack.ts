import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ClickHouseServerProcess } from "./clickhouse-server-process.js";
import type { ClickHouseTarget } from "@mandate/common/clickhouse-target";
import { topicReplicationFor, type InfraStack, type StackOptions, type TopicReplication } from "./infra-stack.js";
import { infraConfig } from "./infra-config.js";
import { KafkaBroker } from "./kafka-broker.js";
import { KafkaCluster } from "./kafka-cluster.js";
import { timedStep } from "./progress.js";
import { SchemaRegistryProcess } from "./schema-registry-process.js";

export interface LocalStack extends InfraStack {
  /** The only broker, or the first node of the cluster. */
  broker: KafkaBroker;
  /** Every node, when the stack was started with `kafkaNodes: 3`. */
  cluster: KafkaCluster | undefined;
  registry: SchemaRegistryProcess;
  clickhouseServer: ClickHouseServerProcess | undefined;
  topicReplication: TopicReplication;
  /** Process ids of every running part, so tests can check nothing outlives `stop`. */
  processIds(): number[];
}

/**
 * Starts Kafka, the schema registry and (optionally) ClickHouse as local processes on free ports in
 * their own temporary directories, so several stacks can run side by side.
 */
export async function startLocalStack(options: StackOptions): Promise<LocalStack> {
  const started: Array<{ destroy(): Promise<void> }> = [];
  try {
    const nodes = options.kafkaNodes ?? 1;
    const [kafka, registry, clickhouseServer] = await Promise.all([
      nodes === 1
        ? timedStep("starting Kafka broker (KRaft)", () => KafkaBroker.start()).then((b) => (started.push(b), b))
        : timedStep(`starting a ${nodes}-node Kafka cluster (KRaft)`, () => KafkaCluster.start({ nodes })).then(
            (c) => (started.push(c), c),
          ),
      timedStep("starting schema registry", () => SchemaRegistryProcess.start()).then((r) => (started.push(r), r)),
      options.clickhouse === "server"
        ? timedStep("starting clickhouse-server", () => ClickHouseServerProcess.start()).then(
            (c) => (started.push(c), c),
          )
        : Promise.resolve(undefined),
    ]);
    let embeddedDir: string | undefined;
    let clickhouse: ClickHouseTarget | undefined;
    if (clickhouseServer) clickhouse = { mode: "server", url: clickhouseServer.url };
    if (options.clickhouse === "embedded") {
      embeddedDir = fs.mkdtempSync(path.join(os.tmpdir(), "mandate-chdb-"));
      clickhouse = { mode: "embedded", path: embeddedDir };
    }
    const cluster = kafka instanceof KafkaCluster ? kafka : undefined;
    const broker = cluster ? cluster.node(0) : (kafka as KafkaBroker);
    return {
      broker,
      cluster,
      registry,
      clickhouseServer,
      kafkaBrokers: cluster ? [...cluster.bootstrap] : [broker.bootstrap],
      topicReplication: topicReplicationFor(nodes),
      schemaRegistryUrl: registry.url,
      clickhouse,
      processIds: () =>
        [...(cluster ? cluster.pids : [broker.pid]), registry.pid, clickhouseServer?.pid].filter(
          (p): p is number => p !== undefined,
        ),
      async stop() {
        await Promise.all(started.map((part) => part.destroy()));
        if (embeddedDir && !infraConfig().MANDATE_KEEP_INFRA_DIRS)
          fs.rmSync(embeddedDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.allSettled(started.map((part) => part.destroy()));
    throw error;
  }
}

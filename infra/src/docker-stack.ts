import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { InfraStack, StackOptions } from "./infra-stack.js";

const ANALYST_INIT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../clickhouse/init");

/**
 * The same parts as `startLocalStack`, as containers, for machines with a Docker engine.
 * Images match docker-compose.yml.
 */
export async function startDockerStack(options: StackOptions): Promise<InfraStack> {
  if ((options.kafkaNodes ?? 1) !== 1) {
    throw new Error("a Kafka cluster of several nodes is started as local processes only (MANDATE_INFRA=local)");
  }
  const { GenericContainer, Network, Wait } = await import("testcontainers");
  const network = await new Network().start();
  const kafka = await new GenericContainer("apache/kafka:3.9.1")
    .withNetwork(network)
    .withNetworkAliases("kafka")
    .withExposedPorts({ container: 9092, host: 39092 })
    .withEnvironment({
      KAFKA_NODE_ID: "1",
      KAFKA_PROCESS_ROLES: "broker,controller",
      KAFKA_LISTENERS: "PLAINTEXT://:9092,CONTROLLER://:9093",
      KAFKA_ADVERTISED_LISTENERS: "PLAINTEXT://127.0.0.1:39092",
      KAFKA_CONTROLLER_LISTENER_NAMES: "CONTROLLER",
      KAFKA_CONTROLLER_QUORUM_VOTERS: "1@localhost:9093",
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: "1",
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: "1",
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: "1",
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: "0",
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: "false",
      KAFKA_NUM_IO_THREADS: "2",
      KAFKA_NUM_NETWORK_THREADS: "2",
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  const registry = await new GenericContainer("ghcr.io/axonops/axonops-schema-registry:latest")
    .withNetwork(network)
    .withExposedPorts(8081)
    .withEnvironment({ SCHEMA_REGISTRY_STORAGE_TYPE: "memory", SCHEMA_REGISTRY_COMPATIBILITY_LEVEL: "BACKWARD" })
    .withWaitStrategy(Wait.forHttp("/config", 8081))
    .start();
  const clickhouse =
    options.clickhouse === "server"
      ? await new GenericContainer("clickhouse/clickhouse-server:25.8")
          .withNetwork(network)
          .withExposedPorts(8123)
          .withEnvironment({ CLICKHOUSE_SKIP_USER_SETUP: "1", CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT: "1" })
          // The read-only analyst login, as docker-compose.yml and the local server have it.
          .withCopyDirectoriesToContainer([{ source: ANALYST_INIT_DIR, target: "/docker-entrypoint-initdb.d" }])
          .withWaitStrategy(Wait.forHttp("/ping", 8123))
          .start()
      : undefined;
  const embeddedDir =
    options.clickhouse === "embedded" ? fs.mkdtempSync(path.join(os.tmpdir(), "mandate-chdb-")) : undefined;
  return {
    kafkaBrokers: ["127.0.0.1:39092"],
    schemaRegistryUrl: `http://${registry.getHost()}:${registry.getMappedPort(8081)}`,
    clickhouse: clickhouse
      ? { mode: "server", url: `http://${clickhouse.getHost()}:${clickhouse.getMappedPort(8123)}` }
      : embeddedDir
        ? { mode: "embedded", path: embeddedDir }
        : undefined,
    async stop() {
      await Promise.all([kafka.stop(), registry.stop(), clickhouse?.stop()]);
      await network.stop();
      if (embeddedDir) fs.rmSync(embeddedDir, { recursive: true, force: true });
    },
  };
}

import { provisionClickHouseServer } from "./clickhouse-provisioner.js";
import { infraConfig } from "./infra-config.js";
import { provisionKafka } from "./kafka-provisioner.js";
import { startLocalStack } from "./local-stack.js";
import { progress } from "./progress.js";
import { provisionSchemaRegistry } from "./schema-registry-provisioner.js";

const usage = `usage: npm run infra -- <command>
  provision                     download and build Kafka, the schema registry and clickhouse-server into the cache
  up [--clickhouse-server]      start Kafka and the schema registry (and a private clickhouse-server) until Ctrl-C,
                                printing the environment the services and the CLI read
                                (MANDATE_KAFKA_NODES=3: a 3-node Kafka cluster, topics with 3 replicas, 2 in sync)`;

const [command, ...flags] = process.argv.slice(2);

if (command === "provision") {
  await provisionKafka();
  await provisionSchemaRegistry();
  await provisionClickHouseServer();
  progress("everything is provisioned");
} else if (command === "up") {
  const stack = await startLocalStack({
    clickhouse: flags.includes("--clickhouse-server") ? "server" : "none",
    kafkaNodes: infraConfig().MANDATE_KAFKA_NODES,
  });
  const replication = stack.topicReplication;
  const env = [
    `export MANDATE_KAFKA_BROKERS=${stack.kafkaBrokers.join(",")}`,
    `export MANDATE_SCHEMA_REGISTRY_URL=${stack.schemaRegistryUrl}`,
    // As many copies as the brokers can hold (the services' defaults are for a 3-broker cluster).
    `export MANDATE_TOPIC_REPLICATION_FACTOR=${replication.topicReplicationFactor}`,
    `export MANDATE_TOPIC_MIN_INSYNC_REPLICAS=${replication.topicMinInsyncReplicas}`,
    ...(stack.clickhouse?.mode === "server" ? [`export CLICKHOUSE_URL=${stack.clickhouse.url}`] : []),
  ];
  process.stdout.write(`${env.join("\n")}\n# running; Ctrl-C stops everything\n`);
  const stop = async () => {
    await stack.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
} else {
  process.stderr.write(`${usage}\n`);
  process.exit(command ? 2 : 0);
}

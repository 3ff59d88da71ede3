import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { kafkaClientSecurity, type KafkaSecurity } from "@mandate/sdk/kafka/kafka-security";
import { BrokerSecurity, type BrokerSecurityOptions } from "./broker-security.js";
import { exitedWhileStarting, freePort, launched, startOnFreePorts } from "./free-port.js";
import { infraConfig } from "./infra-config.js";
import { provisionKafka } from "./kafka-provisioner.js";
import { ManagedProcess } from "./managed-process.js";
import { runCommand } from "./run-command.js";
import { waitUntil } from "./wait-until.js";

export interface KafkaBrokerOptions {
  port?: number;
  controllerPort?: number;
  /** Where the log directories live; a fresh temporary directory when omitted. */
  dir?: string;
  /** SASL_SSL with SCRAM and the StandardAuthorizer instead of a plaintext listener (broker-security.ts). */
  security?: BrokerSecurityOptions;
  /** Set by KafkaCluster for each of its nodes; a lone broker is node 1 of a cluster of 1. */
  node?: ClusterNode;
}

/** One node's place in a multi-node KRaft cluster (kafka-cluster.ts). */
export interface ClusterNode {
  nodeId: number;
  /** `controller.quorum.voters`: `id@host:controllerPort` of every node, this one included. */
  quorumVoters: string;
  /** Every node of a cluster is formatted with the same cluster id, or they refuse to talk to each other. */
  clusterId: string;
  /** How many nodes the cluster has: the internal topics' replication factor follows from it. */
  clusterSize: number;
}

/**
 * One Apache Kafka broker in KRaft mode (combined broker and controller), from Maven Central jars.
 * Alone, every internal topic has replication factor 1, so transactions work; as a node of a
 * cluster of 3 or more (`node`), the internal topics get 3 replicas and 2 in-sync ones.
 */
export class KafkaBroker {
  private process: ManagedProcess | undefined;
  private security: BrokerSecurity | undefined;

  private constructor(
    readonly port: number,
    readonly controllerPort: number,
    readonly dir: string,
    private readonly classpath: string,
    private readonly node: ClusterNode | undefined,
  ) {}

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  static async start(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
    const { classpath } = await provisionKafka();
    const startOne = async () => {
      const broker = new KafkaBroker(
        options.port ?? (await freePort()),
        options.controllerPort ?? (await freePort()),
        options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "mandate-kafka-")),
        classpath,
        options.node,
      );
      if (options.security) broker.security = await BrokerSecurity.prepare(broker.dir, options.security);
      await broker.format();
      return launched(broker, () => broker.launch());
    };
    // Only a broker on ports and a directory of its own choosing starts again on new ones.
    const ownChoice = options.port === undefined && options.controllerPort === undefined && options.dir === undefined;
    return ownChoice ? startOnFreePorts(startOne) : startOne();
  }

  /** Starts the same broker again on the same ports and data (after `stop` or `kill`). */
  async restart(): Promise<void> {
    if (this.process?.running) throw new Error("kafka broker is already running");
    await this.launch();
  }

  get pid(): number | undefined {
    return this.process?.running ? this.process.pid : undefined;
  }

  /** How `user` connects to this broker; only for a broker started with `security`. */
  clientSecurity(user: string): KafkaSecurity {
    if (!this.security) throw new Error("this Kafka broker was started without security: clients connect in plaintext");
    return this.security.clientSecurity(user);
  }

  async stop(): Promise<void> {
    await this.process?.stop();
  }

  /** Crash without a clean shutdown, for fault tests. */
  async kill(): Promise<void> {
    await this.process?.kill();
  }

  async destroy(): Promise<void> {
    await this.stop();
    if (!infraConfig().MANDATE_KEEP_INFRA_DIRS) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private get propertiesFile(): string {
    return path.join(this.dir, "server.properties");
  }

  private async format(): Promise<void> {
    fs.mkdirSync(path.join(this.dir, "data"), { recursive: true });
    fs.writeFileSync(this.propertiesFile, this.properties());
    fs.writeFileSync(path.join(this.dir, "log4j.properties"), log4jProperties(path.join(this.dir, "broker.log")));
    if (fs.existsSync(path.join(this.dir, "data", "meta.properties"))) return;
    const clusterId =
      this.node?.clusterId ??
      ((await runCommand("java", ["-cp", this.classpath, "kafka.tools.StorageTool", "random-uuid"]))
        .trim()
        .split("\n")
        .pop() as string);
    await runCommand("java", [
      "-cp",
      this.classpath,
      `-Dlog4j.configuration=file:${path.join(this.dir, "log4j.properties")}`,
      "kafka.tools.StorageTool",
      "format",
      "-t",
      clusterId,
      "-c",
      this.propertiesFile,
      ...(this.security?.formatArguments() ?? []),
    ]);
  }

  private async launch(): Promise<void> {
    this.process = ManagedProcess.start(
      "kafka",
      "java",
      [
        "-Xms256m",
        "-Xmx768m",
        // Kafka's own launcher's JVM settings (kafka-run-class.sh, KAFKA_JVM_PERFORMANCE_OPTS), as the
        // apache/kafka image of docker-compose.yml runs it: G1 aims at 20 ms pauses rather than 200 ms.
        "-server",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-XX:InitiatingHeapOccupancyPercent=35",
        "-XX:+ExplicitGCInvokesConcurrent",
        "-XX:MaxInlineLevel=15",
        "-Djava.awt.headless=true",
        `-Dlog4j.configuration=file:${path.join(this.dir, "log4j.properties")}`,
        "-cp",
        this.classpath,
        "kafka.Kafka",
        this.propertiesFile,
      ],
      { cwd: this.dir, logFile: path.join(this.dir, "stdout.log"), stopGraceMs: 20_000 },
    );
    // A short request timeout: whatever holds the port when the broker could not bind it may accept the
    // connection and never answer, and each probe must end for the next one to see the broker exited.
    const kafka = new Kafka({
      brokers: [this.bootstrap],
      ...kafkaClientSecurity(this.security?.adminSecurity()),
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      requestTimeout: 3_000,
    });
    const admin = kafka.admin();
    try {
      await waitUntil(
        `Kafka broker on ${this.bootstrap}`,
        async () => {
          if (!this.process?.running) {
            throw exitedWhileStarting(
              `Kafka broker on ${this.bootstrap} exited; see ${this.dir}/broker.log\n${this.process?.tail()}`,
              [path.join(this.dir, "broker.log"), path.join(this.dir, "stdout.log")],
            );
          }
          await admin.connect();
          const cluster = await admin.describeCluster();
          return cluster.brokers.length > 0;
        },
        { timeoutMs: 90_000, intervalMs: 300 },
      );
    } finally {
      await admin.disconnect();
    }
  }

  private properties(): string {
    const nodeId = this.node?.nodeId ?? 1;
    // Three copies with two in sync once there are three nodes: one node lost loses nothing acknowledged.
    const replicas = Math.min(this.node?.clusterSize ?? 1, 3);
    const minInsync = replicas >= 3 ? 2 : 1;
    return [
      "process.roles=broker,controller",
      `node.id=${nodeId}`,
      `controller.quorum.voters=${this.node?.quorumVoters ?? `${nodeId}@127.0.0.1:${this.controllerPort}`}`,
      `listeners=PLAINTEXT://127.0.0.1:${this.port},CONTROLLER://127.0.0.1:${this.controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${this.port}`,
      "controller.listener.names=CONTROLLER",
      "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
      "inter.broker.listener.name=PLAINTEXT",
      `log.dirs=${path.join(this.dir, "data")}`,
      // Every internal topic must fit on the cluster, or transactions and groups never become available.
      `offsets.topic.replication.factor=${replicas}`,
      "offsets.topic.num.partitions=4",
      `transaction.state.log.replication.factor=${replicas}`,
      `transaction.state.log.min.isr=${minInsync}`,
      "transaction.state.log.num.partitions=4",
      `default.replication.factor=${replicas}`,
      `min.insync.replicas=${minInsync}`,
      "group.initial.rebalance.delay.ms=0",
      // Topics are created explicitly, with their partition counts, by the services' topic setup.
      "auto.create.topics.enable=false",
      "num.partitions=1",
      "log.cleaner.dedupe.buffer.size=8388608",
      // Kafka's defaults (8 request handlers, 3 network threads) are for a server's cores. On this project's
      // 2-core machines, 2 and 2 held the pipeline bench's 1,500/s at p99 264–543 ms against 273–914 with
      // the defaults, for 3–10% less broker CPU per action (four run pairs). docker-compose and the
      // testcontainers stack set the same.
      "num.io.threads=2",
      "num.network.threads=2",
      ...(this.security?.properties(this.port, this.controllerPort) ?? []),
      "",
    ].join("\n");
  }
}

function log4jProperties(file: string): string {
  return [
    "log4j.rootLogger=INFO, file",
    "log4j.appender.file=org.apache.log4j.FileAppender",
    `log4j.appender.file.File=${file}`,
    "log4j.appender.file.layout=org.apache.log4j.PatternLayout",
    "log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n",
    "log4j.logger.kafka=INFO",
    "log4j.logger.org.apache.kafka=INFO",
    "",
  ].join("\n");
}

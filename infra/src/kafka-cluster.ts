import crypto from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { freePort, PortTaken, startOnFreePorts } from "./free-port.js";
import { KafkaBroker } from "./kafka-broker.js";
import { waitUntil } from "./wait-until.js";

export interface KafkaClusterOptions {
  /** How many combined broker+controller nodes; 3 lets one be lost without losing anything acknowledged. */
  nodes: number;
}

/**
 * A KRaft cluster of `nodes` combined broker+controller nodes on loopback, every node a voter of
 * the controller quorum. Node `i` (0-based) has node id `i + 1`.
 */
export class KafkaCluster {
  private constructor(readonly brokers: readonly KafkaBroker[]) {}

  static async start(options: KafkaClusterOptions): Promise<KafkaCluster> {
    if (!Number.isInteger(options.nodes) || options.nodes < 1) {
      throw new Error(`a Kafka cluster needs at least one node, not ${options.nodes}`);
    }
    return startOnFreePorts(() => KafkaCluster.startOnce(options.nodes));
  }

  private static async startOnce(nodes: number): Promise<KafkaCluster> {
    // NOTE: the kernel may hand out a port it just gave, once the probe closed it: every node needs
    // two ports no other node has, so repeats are asked again.
    const distinct = new Set<number>();
    while (distinct.size < 2 * nodes) distinct.add(await freePort());
    const free = [...distinct];
    const ports = Array.from({ length: nodes }, (_, i) => ({ port: free[2 * i]!, controllerPort: free[2 * i + 1]! }));
    const quorumVoters = ports.map((p, i) => `${i + 1}@127.0.0.1:${p.controllerPort}`).join(",");
    const clusterId = randomClusterId();
    // Every node at once: a node does not serve until the quorum elected a leader, which needs a
    // majority of the voters running, so nodes started one after another would wait on each other.
    const results = await Promise.allSettled(
      ports.map((p, i) =>
        KafkaBroker.start({ ...p, node: { nodeId: i + 1, quorumVoters, clusterId, clusterSize: nodes } }),
      ),
    );
    const started = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    if (failures.length === 0) {
      const cluster = new KafkaCluster(started);
      try {
        await cluster.waitForAllBrokers();
        return cluster;
      } catch (error) {
        await cluster.destroy();
        throw error;
      }
    }
    await Promise.allSettled(started.map((b) => b.destroy()));
    // A taken port is worth another try on new ports (startOnFreePorts); any other failure is not.
    throw failures.find((f) => f instanceof PortTaken) ?? failures[0];
  }

  /**
   * Each node is up once it serves its own listener, but it may not yet see the others registered:
   * a topic with 3 replicas could then not be created. Ready when the metadata lists every node.
   */
  private async waitForAllBrokers(): Promise<void> {
    const admin = new Kafka({
      brokers: [...this.bootstrap],
      logLevel: logLevel.NOTHING,
      requestTimeout: 3_000,
    }).admin();
    try {
      await waitUntil(
        `all ${this.brokers.length} Kafka nodes registered`,
        async () => {
          await admin.connect();
          return (await admin.describeCluster()).brokers.length === this.brokers.length;
        },
        { timeoutMs: 60_000, intervalMs: 300 },
      );
    } finally {
      await admin.disconnect();
    }
  }

  /** Every node's address: clients find the others, and the partition leaders, through any of them. */
  get bootstrap(): string[] {
    return this.brokers.map((b) => b.bootstrap);
  }

  /** Process ids of the nodes that are running. */
  get pids(): number[] {
    return this.brokers.flatMap((b) => (b.pid === undefined ? [] : [b.pid]));
  }

  node(i: number): KafkaBroker {
    const broker = this.brokers[i];
    if (!broker) throw new Error(`the cluster has no node ${i} (it has ${this.brokers.length})`);
    return broker;
  }

  /** kill -9 one node: no clean shutdown, no leadership handed over. */
  async kill(i: number): Promise<void> {
    await this.node(i).kill();
  }

  /** Starts a stopped or killed node again on its ports and data; it rejoins and catches up. */
  async restart(i: number): Promise<void> {
    await this.node(i).restart();
  }

  async destroy(): Promise<void> {
    await Promise.all(this.brokers.map((b) => b.destroy()));
  }
}

/**
 * A KRaft cluster id: a UUID in URL-safe base64 without padding (Kafka's Uuid.toString). NOTE: never one
 * that starts with "-", as Kafka's own Uuid.randomUuid ensures: kafka-storage would read it as an option
 * ("argument --cluster-id/-t: expected one argument"; one cluster start in 64 failed so).
 */
export function randomClusterId(): string {
  for (;;) {
    const id = crypto.randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

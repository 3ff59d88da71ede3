import net from "node:net";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { ClickHouseServerProcess } from "../../infra/src/clickhouse-server-process.js";
import { KafkaBroker } from "../../infra/src/kafka-broker.js";
import { SchemaRegistryProcess } from "../../infra/src/schema-registry-process.js";

/** The first port freePort hands out in each test is one this test holds, as if another process had bound it first. */
const ports = vi.hoisted(() => ({ taken: 0, handedOut: 0 }));
vi.mock("../../infra/src/free-port.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../infra/src/free-port.js")>();
  return { ...real, freePort: async () => (ports.handedOut++ === 0 ? ports.taken : real.freePort()) };
});

/** Holds the port: accepts connections and never answers, like a server that speaks another protocol. */
const connections = new Set<net.Socket>();
const holder = net.createServer((socket) => connections.add(socket));

describe("a local process whose chosen port is taken", () => {
  beforeAll(async () => {
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", () => resolve()));
    ports.taken = (holder.address() as net.AddressInfo).port;
  });

  beforeEach(() => {
    ports.handedOut = 0;
  });

  afterAll(async () => {
    for (const socket of connections) socket.destroy();
    await new Promise<void>((resolve) => holder.close(() => resolve()));
  });

  it("Kafka: starts again on new ports when it chose the taken one, and fails at once when it was told to use it", async () => {
    const broker = await KafkaBroker.start();
    try {
      expect(broker.port).not.toBe(ports.taken);
      expect(ports.handedOut).toBe(4); // two ports for the failed start, two for the one that ran
      const admin = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      expect((await admin.describeCluster()).brokers).toHaveLength(1);
      await admin.disconnect();
    } finally {
      await broker.destroy();
    }

    const started = Date.now();
    await expect(KafkaBroker.start({ port: ports.taken })).rejects.toThrow(/exited; see .*broker\.log/);
    // Not the 90 s the wait allows a broker that is still starting.
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 180_000);

  it("schema registry: starts again on a new port when it chose the taken one, and fails at once when told to use it", async () => {
    const registry = await SchemaRegistryProcess.start();
    try {
      expect(registry.url).not.toContain(`:${ports.taken}`);
      expect(ports.handedOut).toBe(2);
      expect((await fetch(`${registry.url}/subjects`)).ok).toBe(true);
    } finally {
      await registry.destroy();
    }

    const started = Date.now();
    await expect(SchemaRegistryProcess.start({ port: ports.taken })).rejects.toThrow(/exited/);
    // Not the 60 s the wait allows a registry that is still starting.
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 120_000);

  it("clickhouse-server: starts again on new ports when one it chose is taken", async () => {
    const server = await ClickHouseServerProcess.start();
    try {
      expect(server.httpPort).not.toBe(ports.taken);
      expect(ports.handedOut).toBe(4); // HTTP and native ports for the failed start and for the one that ran
      expect(await (await fetch(`${server.url}/?query=SELECT%201`)).text()).toBe("1\n");
    } finally {
      await server.destroy();
    }
  }, 120_000);
});

import net from "node:net";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, describe, expect, it, vi } from "vitest";
import { KafkaBroker } from "../../infra/src/kafka-broker.js";

/** The first port freePort hands out is one this test holds, as if another process had bound it first. */
const ports = vi.hoisted(() => ({ taken: 0, handedOut: 0 }));
vi.mock("../../infra/src/free-port.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../infra/src/free-port.js")>();
  return { freePort: async () => (ports.handedOut++ === 0 ? ports.taken : real.freePort()) };
});

/** Holds the port: accepts connections and never answers, like a server that speaks another protocol. */
const connections = new Set<net.Socket>();
const holder = net.createServer((socket) => connections.add(socket));

describe("a local Kafka broker whose port is taken", () => {
  afterAll(async () => {
    for (const socket of connections) socket.destroy();
    await new Promise<void>((resolve) => holder.close(() => resolve()));
  });

  it("starts again on new ports when it chose the taken one, and fails at once when it was told to use it", async () => {
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", () => resolve()));
    ports.taken = (holder.address() as net.AddressInfo).port;

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
});

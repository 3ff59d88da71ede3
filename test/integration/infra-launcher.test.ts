import { Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { startLocalStack } from "../../infra/src/local-stack.js";
import { inject } from "vitest";
import { alive } from "../support/process-alive.js";

describe("local infrastructure launcher", () => {
  it("starts a second, independent stack beside the shared one and leaves no process when stopped", async () => {
    const stack = await startLocalStack({ clickhouse: "none" });
    const pids: number[] = [];
    try {
      expect(stack.kafkaBrokers).not.toEqual(inject("kafkaBrokers"));
      expect(stack.schemaRegistryUrl).not.toBe(inject("schemaRegistryUrl"));
      const admin = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: "only-here", numPartitions: 3 }] });
      expect(await admin.listTopics()).toContain("only-here");
      await admin.disconnect();
      const shared = new Kafka({ brokers: inject("kafkaBrokers"), logLevel: logLevel.NOTHING }).admin();
      await shared.connect();
      expect(await shared.listTopics()).not.toContain("only-here");
      await shared.disconnect();
      expect((await fetch(`${stack.schemaRegistryUrl}/config`)).ok).toBe(true);
      pids.push(...stack.processIds());
      expect(pids.every(alive)).toBe(true);
    } finally {
      await stack.stop();
    }
    expect(pids.length).toBe(2);
    expect(pids.filter(alive)).toEqual([]);
  });
});

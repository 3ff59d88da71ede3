import { Kafka, logLevel, type Admin, type Consumer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "../../infra/src/wait-until.js";
import { detectCapabilities, openClickHouse, type ClickHouseClient } from "@mandate/common/clickhouse-connection";
import { openContracts, isolatedTopics } from "@mandate/contracts";
import { ensureTopics } from "@mandate/common/topics";
import { verifyTrail } from "@mandate/cli/trail-verify";
import { sinkConfigSchema } from "@mandate/sink/sink-config";
import { SinkService } from "@mandate/sink/sink-service";
import { isolatedDatabase, sharedStack } from "../support/shared-stack.js";
import { sampleDecision } from "../support/trail-decisions.js";
import { SINGLE_BROKER_TOPIC_SETTINGS } from "../../infra/src/pipeline.js";

const DECISIONS = 24_000;
const AGENTS = 120;

/**
 * The sink stores a partition's batches while it fetches the next ones (see PartitionStores). These
 * drains check that nothing is lost, nothing stays duplicated and every chain stays intact when a
 * store fails mid-drain and when partitions move between two sinks. Small fetches give each
 * partition many batches, so stores are in flight whenever the fault strikes.
 */
describe("the sink's stores in flight", () => {
  const stack = sharedStack("server");
  const topics = isolatedTopics("sink-stores");
  let admin: Admin;
  let client: ClickHouseClient;

  const sinkFor = (database: string, groupId: string) =>
    new SinkService(
      sinkConfigSchema.parse({
        kafkaBrokers: stack.kafkaBrokers,
        schemaRegistryUrl: stack.schemaRegistryUrl,
        topics,
        groupId,
        clickhouse: stack.clickhouse,
        database,
        partitionFetchBytes: 64 * 1024,
        logLevel: "silent",
        ...SINGLE_BROKER_TOPIC_SETTINGS,
      }),
    );

  async function storedPositions(database: string): Promise<number> {
    const result = await client.query({
      query: `SELECT uniqExact(kafka_partition, kafka_offset) AS n FROM ${database}.decisions`,
      format: "JSONEachRow",
    });
    return Number(((await result.json()) as Array<{ n: string }>)[0]?.n);
  }

  async function allCommitted(groupId: string): Promise<boolean> {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topics.decisions] });
    const ends = await admin.fetchTopicOffsets(topics.decisions);
    return ends.every((end) => committed!.partitions.find((p) => p.partition === end.partition)?.offset === end.high);
  }

  /** The whole topic is stored, once per decision after merging, each chain intact, and every offset committed. */
  async function expectDrained(database: string, groupId: string) {
    const result = await client.query({
      query: `SELECT count() AS rows, uniqExact(decision_id) AS decisions FROM ${database}.decisions FINAL`,
      format: "JSONEachRow",
    });
    const [counts] = (await result.json()) as Array<{ rows: string; decisions: string }>;
    expect([Number(counts?.rows), Number(counts?.decisions)]).toEqual([DECISIONS, DECISIONS]);
    const verified = await verifyTrail(client, { database, capabilities: await detectCapabilities(client) });
    expect(verified).toMatchObject({ agents: AGENTS, rows: DECISIONS, problems: [] });
    expect(await allCommitted(groupId)).toBe(true);
  }

  beforeAll(async () => {
    const kafka = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, topics, { actionPartitions: 6 });
    const contracts = await openContracts(stack, topics);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const start = Date.now() - 3_600_000;
    for (let sent = 0; sent < DECISIONS; sent += 2_000) {
      const messages = Array.from({ length: 2_000 }, (_, i) => {
        const decision = sampleDecision(`agent-${(sent + i) % AGENTS}`, start + sent + i);
        return { key: decision.action.agent_id, value: contracts.decision.encode(decision) };
      });
      await producer.send({ topic: topics.decisions, acks: -1, messages });
    }
    await producer.disconnect();
    client = await openClickHouse(stack.clickhouse!);
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    await admin?.disconnect();
  });

  it("reads a partition again from the batch whose commit failed, and loses nothing", async () => {
    const database = isolatedDatabase("stores_commit");
    const groupId = `${database}-sink`;
    const sink = sinkFor(database, groupId);
    // The fault is injected at the consumer: the third commit fails after a second, as one does when
    // the broker is lost. Meanwhile the partition's next batch is fetched, encoded and waiting.
    let commits = 0;
    let failedAt: { partition: number; offset: string } | undefined;
    await sink.start();
    const { consumer } = sink as unknown as { consumer: Consumer };
    const commitOffsets = consumer.commitOffsets.bind(consumer);
    consumer.commitOffsets = async (offsets) => {
      commits += 1;
      if (commits === 3) {
        failedAt = { partition: offsets[0]!.partition, offset: offsets[0]!.offset };
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        throw new Error("injected: commit timed out");
      }
      return commitOffsets(offsets);
    };
    try {
      await waitUntil("the topic stored", async () => (await storedPositions(database)) === DECISIONS, {
        timeoutMs: 60_000,
      });
      await waitUntil("every offset committed", () => allCommitted(groupId));
    } finally {
      await sink.stop();
    }
    expect(failedAt).toBeDefined();
    expect(commits).toBeGreaterThan(3);
    await expectDrained(database, groupId);
  }, 120_000);

  it("hands partitions from one sink to another mid-drain without a gap, a lasting duplicate or a broken chain", async () => {
    const database = isolatedDatabase("stores_rebalance");
    const groupId = `${database}-sink`;
    const first = sinkFor(database, groupId);
    const second = sinkFor(database, groupId);
    let firstStopped = false;
    await first.start();
    try {
      await waitUntil("a tenth stored", async () => (await storedPositions(database)) >= DECISIONS / 10);
      // A second sink joins: partitions move while the first has stores in flight.
      await second.start();
      await waitUntil("half stored", async () => (await storedPositions(database)) >= DECISIONS / 2, {
        timeoutMs: 60_000,
      });
      // The first one leaves: the second takes every partition, from what was committed.
      await first.stop();
      firstStopped = true;
      await waitUntil("the topic stored", async () => (await storedPositions(database)) === DECISIONS, {
        timeoutMs: 60_000,
      });
      await waitUntil("every offset committed", () => allCommitted(groupId));
    } finally {
      if (!firstStopped) await first.stop();
      await second.stop();
    }
    await expectDrained(database, groupId);
  }, 180_000);
});

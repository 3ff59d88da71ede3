import { Kafka, logLevel, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClickHouseServerProcess } from "../../infra/src/clickhouse-server-process.js";
import { startPipeline, type RunningPipeline } from "../../infra/src/pipeline.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import { openContracts, type MandateContracts, isolatedTopics } from "@mandate/contracts";
import { GovernancePublisher } from "@mandate/sdk";
import { testRegistration } from "../support/registrations.js";
import { orderLookup, streamActions } from "../support/test-actions.js";
import { isolatedDatabase, sharedStack } from "../support/shared-stack.js";

const ACTIONS = 3000;
const OUTAGE_MS = 20_000;

/**
 * The ClickHouse server goes away for 20 seconds while actions stream through the pipeline. The
 * sink must pause (it only commits offsets after an insert), say it is degraded, and resume without
 * losing a row or writing one twice. The server here is a private one: the shared one stays up.
 */
describe("ClickHouse outage", () => {
  const stack = sharedStack("server");
  const topics = isolatedTopics("ch-outage");
  const database = isolatedDatabase("ch_outage");
  let clickhouse: ClickHouseServerProcess;
  let pipeline: RunningPipeline;
  let producer: Producer;
  let contracts: MandateContracts;

  beforeAll(async () => {
    clickhouse = await ClickHouseServerProcess.start();
    pipeline = await startPipeline(stack, {
      topics,
      database,
      clickhouse: { mode: "server", url: clickhouse.url },
      logLevel: "silent",
    });
    const publisher = await GovernancePublisher.connect({ ...stack, topics });
    await publisher.publish(testRegistration("outage-bot"));
    await publisher.close();
    await waitUntil("registration", async () => pipeline.validators[0]?.registrationVersion("outage-bot") === 1);
    contracts = await openContracts(stack, topics);
    producer = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await pipeline?.stop();
    await clickhouse?.destroy();
  });

  const stream = (from: number, to: number) =>
    streamActions(
      producer,
      contracts,
      topics.actions,
      Array.from({ length: to - from }, (_, k) => orderLookup("outage-bot", from + k)),
      6,
    );

  async function counts(): Promise<{ rows: number; distinct: number; actions: number }> {
    const result = await pipeline.sink!.trail.query({
      query: `SELECT
        (SELECT count() FROM ${database}.decisions) AS rows,
        (SELECT uniqExact(action_id) FROM ${database}.decisions) AS distinct,
        (SELECT uniqExact(action_id) FROM ${database}.actions) AS actions`,
      format: "JSONEachRow",
    });
    const [row] = (await result.json()) as Array<Record<string, string>>;
    return { rows: Number(row?.rows), distinct: Number(row?.distinct), actions: Number(row?.actions) };
  }

  it("loses nothing and duplicates nothing when the server is down for 20 s mid-stream", async () => {
    await stream(0, ACTIONS / 2);
    await clickhouse.stop();
    const outageStarted = Date.now();
    await stream(ACTIONS / 2, ACTIONS);
    await waitUntil("the sink to report itself degraded", async () => pipeline.sink!.degraded, { timeoutMs: 15_000 });
    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - outageStarted))));
    await clickhouse.restart();

    await waitUntil(
      "every decision and action in the trail",
      async () => {
        const c = await counts();
        return c.distinct >= ACTIONS && c.actions >= ACTIONS;
      },
      { timeoutMs: 90_000, intervalMs: 1000 },
    );
    const final = await counts();
    expect(final.distinct).toBe(ACTIONS);
    expect(final.actions).toBe(ACTIONS);
    // Raw rows, no FINAL: a redelivered batch would show here before any merge collapses it.
    expect(final.rows).toBe(final.distinct);
    await waitUntil("the sink to recover", async () => !pipeline.sink!.degraded);
  }, 180_000);
});

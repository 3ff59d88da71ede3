import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStack, type LocalStack } from "../../infra/src/local-stack.js";
import { startPipeline, type RunningPipeline } from "../../infra/src/pipeline.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import { openContracts, type MandateContracts, DEFAULT_TOPICS } from "@mandate/contracts";
import { GovernancePublisher } from "@mandate/sdk";
import { testRegistration } from "../support/registrations.js";
import { tallyDecisions } from "../support/decision-tally.js";
import { orderLookup, streamActions } from "../support/test-actions.js";

const ACTIONS = 3000;

/**
 * The broker process is stopped while the validator works through a backlog, then started again.
 * Nothing acknowledged may be lost and every action must end with exactly one decision. This suite
 * has a broker of its own, so stopping it disturbs no other suite.
 */
describe("broker stopped and restarted mid-stream", () => {
  let stack: LocalStack;
  let pipeline: RunningPipeline;
  let contracts: MandateContracts;

  beforeAll(async () => {
    stack = await startLocalStack({ clickhouse: "none" });
    pipeline = await startPipeline(stack, {
      topics: DEFAULT_TOPICS,
      database: "unused",
      logLevel: (process.env.MANDATE_TEST_PIPELINE_LOG as "info" | undefined) ?? "silent",
    });
    const publisher = await GovernancePublisher.connect(stack);
    await publisher.publish(testRegistration("restart-bot"));
    await publisher.close();
    await waitUntil("registration", async () => pipeline.validators[0]?.registrationVersion("restart-bot") === 1);
    contracts = await openContracts(stack, DEFAULT_TOPICS);
  });

  afterAll(async () => {
    await pipeline?.stop();
    await stack?.stop();
  });

  it("decides every acknowledged action exactly once", async () => {
    const kafka = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const actions = Array.from({ length: ACTIONS }, (_, i) => orderLookup("restart-bot", i));
    const sent = await streamActions(producer, contracts, DEFAULT_TOPICS.actions, actions, 6);
    await producer.disconnect();

    await stack.broker.stop();
    await new Promise((r) => setTimeout(r, 3000));
    await stack.broker.restart();

    const tally = await tallyDecisions(stack.kafkaBrokers, DEFAULT_TOPICS.decisions, contracts);
    const decisions = tally.counts;
    try {
      await waitUntil("a decision for every action", async () => decisions.size >= ACTIONS, {
        timeoutMs: 150_000,
        intervalMs: 500,
      });
      await new Promise((r) => setTimeout(r, 3000));
    } finally {
      await tally.stop();
    }
    expect(decisions.size).toBe(ACTIONS);
    // Each action decided more than once, with what each of its decisions said and which validator made it.
    const twice = sent.filter((id) => decisions.get(id) !== 1).map((id) => [id, tally.reasons.get(id)]);
    expect(twice).toEqual([]);
  }, 240_000);
});

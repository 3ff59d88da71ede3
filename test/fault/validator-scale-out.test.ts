import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Kafka, logLevel, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ManagedProcess } from "../../infra/src/managed-process.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import { openContracts, type MandateContracts, isolatedTopics } from "@mandate/contracts";
import { ensureTopics } from "@mandate/common/topics";
import { GovernancePublisher } from "@mandate/sdk";
import { tallyDecisions } from "../support/decision-tally.js";
import { testRegistration } from "../support/registrations.js";
import { sharedStack } from "../support/shared-stack.js";
import { orderLookup, streamActions } from "../support/test-actions.js";
import { startValidatorProcess } from "../support/validator-process.js";

const PARTITIONS = 12;
const STEPS = 30;
const PER_STEP = 120;

/**
 * Scale out mid-stream: one validator process decides 12 partitions while actions stream in; a second
 * joins, then a third, each taking partitions from the others in a rebalance while batches are in flight
 * (the stream goes on until each newcomer has decided some). Every action must end with exactly one
 * committed decision.
 */
describe("validators added mid-stream", () => {
  const stack = sharedStack("server");
  const topics = isolatedTopics("scale-out");
  const groupId = `validators-${topics.actions}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mandate-scale-out-test-"));
  const validators: ManagedProcess[] = [];
  let producer: Producer;
  let contracts: MandateContracts;

  const startValidator = (id: string) =>
    validators.push(startValidatorProcess({ id, topics, groupId, logFile: path.join(dir, `${id}.log`), ...stack }));
  const started = (v: ManagedProcess) => fs.readFileSync(v.logFile, "utf8").includes('"event":"validator_started"');

  beforeAll(async () => {
    const kafka = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, topics, { actionPartitions: PARTITIONS });
    await admin.disconnect();
    const publisher = await GovernancePublisher.connect({ ...stack, topics });
    await publisher.publish(testRegistration("scale-bot"));
    await publisher.close();
    startValidator("validator-1");
    await waitUntil("the first validator to start", async () => started(validators[0]!), {
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    contracts = await openContracts(stack, topics);
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await Promise.all(validators.map((v) => v.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("loses and duplicates nothing while each newcomer takes a share", async () => {
    const sent: string[] = [];
    const tally = await tallyDecisions(stack.kafkaBrokers, topics.decisions, contracts);
    const decisions = tally.counts;
    try {
      let step = 0;
      const streamStep = async () => {
        const actions = Array.from({ length: PER_STEP }, (_, k) => orderLookup("scale-bot", step * PER_STEP + k));
        sent.push(...(await streamActions(producer, contracts, topics.actions, actions, PARTITIONS)));
        step += 1;
        await new Promise((r) => setTimeout(r, 500));
      };
      // A third of the steps with one validator; then each newcomer joins while the stream goes on, and
      // the stream goes on until it has decided some (however long its process takes to start).
      while (step < STEPS / 3) await streamStep();
      for (const newcomer of ["validator-2", "validator-3"]) {
        startValidator(newcomer);
        const joinedAt = step;
        while (![...tally.validators.values()].includes(newcomer) || step < joinedAt + 3) {
          if (step >= STEPS * 3) throw new Error(`${newcomer} decided nothing in ${step - joinedAt} steps`);
          await streamStep();
        }
      }
      while (step < STEPS) await streamStep();
      await waitUntil("a decision for every action", async () => decisions.size >= sent.length, {
        timeoutMs: 120_000,
        intervalMs: 500,
      });
      // Give a late duplicate, if there were one, time to show up.
      await new Promise((r) => setTimeout(r, 3000));
    } finally {
      await tally.stop();
    }
    expect(sent.length).toBeGreaterThanOrEqual(STEPS * PER_STEP);
    expect(sent.filter((id) => decisions.get(id) !== 1)).toEqual([]);
    expect([...decisions.values()].filter((n) => n > 1)).toEqual([]);
  }, 300_000);
});

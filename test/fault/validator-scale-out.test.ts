import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Kafka, logLevel, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ManagedProcess } from "../../infra/src/managed-process.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import { openContracts, type MandateContracts } from "../../services/common/src/mandate-contracts.js";
import { ensureTopics, isolatedTopics } from "../../services/common/src/topics.js";
import { GovernancePublisher } from "../../sdk/src/governance-publisher.js";
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
 * joins, then a third, each taking partitions from the others in a rebalance while batches are in flight.
 * Every action must end with exactly one committed decision, and each newcomer must have decided some.
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

  it("loses and duplicates nothing, and the newcomers take a share", async () => {
    const sent: string[] = [];
    const tally = await tallyDecisions(stack.kafkaBrokers, topics.decisions, contracts);
    const decisions = tally.counts;
    try {
      for (let step = 0; step < STEPS; step += 1) {
        if (step === STEPS / 3) startValidator("validator-2");
        if (step === (2 * STEPS) / 3) startValidator("validator-3");
        const actions = Array.from({ length: PER_STEP }, (_, k) => orderLookup("scale-bot", step * PER_STEP + k));
        sent.push(...(await streamActions(producer, contracts, topics.actions, actions, PARTITIONS)));
        await new Promise((r) => setTimeout(r, 500));
      }
      await waitUntil("a decision for every action", async () => decisions.size >= sent.length, {
        timeoutMs: 120_000,
        intervalMs: 500,
      });
      // Give a late duplicate, if there were one, time to show up.
      await new Promise((r) => setTimeout(r, 3000));
    } finally {
      await tally.stop();
    }
    const byValidator = new Map<string, number>();
    for (const id of sent) {
      const validator = tally.validators.get(id) ?? "none";
      byValidator.set(validator, (byValidator.get(validator) ?? 0) + 1);
    }
    expect(sent).toHaveLength(STEPS * PER_STEP);
    expect(sent.filter((id) => decisions.get(id) !== 1)).toEqual([]);
    expect([...decisions.values()].filter((n) => n > 1)).toEqual([]);
    for (const id of ["validator-1", "validator-2", "validator-3"]) expect(byValidator.get(id) ?? 0).toBeGreaterThan(0);
  }, 300_000);
});

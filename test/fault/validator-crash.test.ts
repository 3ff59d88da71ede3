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
import { testRegistration } from "../support/registrations.js";
import { tallyDecisions } from "../support/decision-tally.js";
import { orderLookup, streamActions } from "../support/test-actions.js";
import { sharedStack } from "../support/shared-stack.js";
import { startValidatorProcess } from "../support/validator-process.js";

const ACTIONS = 5000;

/**
 * Two validator processes share the action topic; one is killed with SIGKILL mid-stream. Every
 * action must end with exactly one committed decision: the dead instance's open transaction is
 * aborted, and the survivor re-decides from the last committed offsets.
 */
describe("validator crash (kill -9) with two instances", () => {
  const stack = sharedStack("server");
  const topics = isolatedTopics("crash");
  const groupId = `validators-${topics.actions}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mandate-crash-test-"));
  const validators: ManagedProcess[] = [];
  let producer: Producer;
  let contracts: MandateContracts;

  beforeAll(async () => {
    const kafka = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, topics, { actionPartitions: 6 });
    await admin.disconnect();
    const publisher = await GovernancePublisher.connect({ ...stack, topics });
    await publisher.publish(testRegistration("crash-bot"));
    await publisher.close();
    for (const id of ["validator-a", "validator-b"]) {
      validators.push(startValidatorProcess({ id, topics, groupId, logFile: path.join(dir, `${id}.log`), ...stack }));
    }
    await waitUntil(
      "both validators to start",
      async () => validators.every((v) => fs.readFileSync(v.logFile, "utf8").includes('"event":"validator_started"')),
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    contracts = await openContracts(stack, topics);
    producer = kafka.producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await Promise.all(validators.map((v) => v.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function stream(ids: string[], from: number, to: number): Promise<void> {
    const actions = Array.from({ length: to - from }, (_, k) => orderLookup("crash-bot", from + k));
    ids.push(...(await streamActions(producer, contracts, topics.actions, actions, 6)));
  }

  it("gives every action exactly one committed decision", async () => {
    const sent: string[] = [];
    const tally = await tallyDecisions(stack.kafkaBrokers, topics.decisions, contracts);
    const decisions = tally.counts;
    try {
      await stream(sent, 0, ACTIONS / 2);
      await waitUntil("some decisions before the crash", async () => decisions.size >= 500, { timeoutMs: 60_000 });
      await validators[0]!.kill();
      await stream(sent, ACTIONS / 2, ACTIONS);
      await waitUntil("a decision for every action", async () => decisions.size >= ACTIONS, {
        timeoutMs: 120_000,
        intervalMs: 500,
      });
      // Give a late duplicate, if there were one, time to show up.
      await new Promise((r) => setTimeout(r, 3000));
    } finally {
      await tally.stop();
    }
    expect(decisions.size).toBe(ACTIONS);
    expect(sent.every((id) => decisions.get(id) === 1)).toBe(true);
    const duplicated = [...decisions.values()].filter((n) => n > 1).length;
    expect(duplicated).toBe(0);
  }, 240_000);
});

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Kafka, logLevel } from "kafkajs";
import type { LocalStack } from "../../infra/src/local-stack.js";
import type { ManagedProcess } from "../../infra/src/managed-process.js";
import { progress } from "../../infra/src/progress.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import { openContracts, type MandateContracts, isolatedTopics, type TopicNames } from "@mandate/contracts";
import { ensureTopics } from "@mandate/common/topics";
import { GovernancePublisher } from "@mandate/sdk";
import { tallyDecisions } from "../support/decision-tally.js";
import { testRegistration } from "../support/registrations.js";
import { orderLookup, streamActions } from "../support/test-actions.js";
import { startValidatorProcess } from "../support/validator-process.js";
import { atFixedRate, percentiles } from "./latency-stats.js";
import { cpuMs } from "./process-cpu.js";

const PARTITIONS = 12;
const AGENTS = Array.from({ length: PARTITIONS }, (_, i) => `scale-agent-${i}`);

export interface ScaleRow {
  validators: number;
  /** Actions decided per second while a backlog streamed in as fast as one producer could write it. */
  decidedPerSecond: number;
  /** What the producer offered meanwhile: a drain rate close to it says the producer, not the validators, set the pace. */
  offeredPerSecond: number;
  /** Produce → committed decision seen by a read-committed reader, at the fixed rate. */
  p50Ms: number;
  p99Ms: number;
  /** CPU milliseconds per 1,000 actions of the drain, by where they were spent. */
  cpuPer1k: { validators: number; broker: number; loadAndReader: number };
}

/** What each validator count runs: the backlog, the fixed rate and how long, and where profiles go if anywhere. */
interface ScaleOptions {
  backlog: number;
  rate: number;
  seconds: number;
  cpuProfileDir?: string | undefined;
}

/**
 * Throughput and latency with 1, 2, … validator processes over 12 partitions, each count on fresh
 * topics: the validators are separate processes started as a deployment starts them, so each has an
 * event loop of its own. For each count: the group is waited on until every member holds partitions;
 * a backlog of `backlog` actions streams in as fast as one producer writes it (the decided rate is the
 * throughput); then `rate` actions/s for `seconds` (the latency). Load generator and reader run in
 * this process; the broker is the stack's.
 */
export async function benchValidatorScale(
  stack: LocalStack,
  options: ScaleOptions & { counts: number[] },
): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];
  for (const count of options.counts) rows.push(await benchCount(stack, count, options));
  return rows;
}

async function benchCount(stack: LocalStack, count: number, options: ScaleOptions): Promise<ScaleRow> {
  const kafka = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING });
  const topics = isolatedTopics(`bench-scale-${count}`);
  const groupId = `validators-${topics.actions}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mandate-bench-scale-"));
  const validators: ManagedProcess[] = [];
  const contracts = await prepare(kafka, stack, topics);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const tally = await tallyDecisions(stack.kafkaBrokers, topics.decisions, contracts);
  let sequence = 0;
  const nextActions = (n: number) =>
    Array.from({ length: n }, () => {
      sequence += 1;
      return orderLookup(AGENTS[sequence % PARTITIONS]!, sequence);
    });
  const decided = (ids: string[]) => ids.every((id) => tally.counts.has(id));
  try {
    progress(`scale: ${count} validator process(es) over ${PARTITIONS} partitions`);
    for (let i = 0; i < count; i += 1) {
      const id = `bench-validator-${i + 1}`;
      validators.push(
        startValidatorProcess({
          id,
          topics,
          groupId,
          logFile: path.join(dir, `${id}.log`),
          kafkaBrokers: stack.kafkaBrokers,
          schemaRegistryUrl: stack.schemaRegistryUrl,
          env: { MANDATE_LOG_LEVEL: "warn", MANDATE_ACTION_PARTITIONS: String(PARTITIONS) },
          cpuProfileDir: options.cpuProfileDir,
        }),
      );
    }
    await waitForMembers(kafka, groupId, count);
    // Warm-up: every partition decided at least once by its owner (state restored, producers fenced in).
    const warm = await streamActions(producer, contracts, topics.actions, nextActions(PARTITIONS * 20), PARTITIONS);
    await waitUntil("the warm-up decided", async () => decided(warm), { timeoutMs: 120_000, intervalMs: 100 });

    progress(`scale: ${count} validator(s), a backlog of ${options.backlog} actions`);
    const cpuBefore = cpuNow(validators, stack);
    const drainStarted = Date.now();
    const backlog: string[] = [];
    for (let sent = 0; sent < options.backlog; sent += 600) {
      const step = nextActions(Math.min(600, options.backlog - sent));
      backlog.push(...(await streamActions(producer, contracts, topics.actions, step, PARTITIONS)));
    }
    const offeredMs = Date.now() - drainStarted;
    await waitUntil("the backlog decided", async () => decided(backlog), { timeoutMs: 600_000, intervalMs: 50 });
    const drainMs = Math.max(...backlog.map((id) => tally.seenAt.get(id)!)) - drainStarted;
    const cpuAfter = cpuNow(validators, stack);

    progress(`scale: ${count} validator(s), ${options.rate}/s for ${options.seconds} s`);
    const sentAt = new Map<string, number>();
    await atFixedRate(options.rate, options.rate * options.seconds, async () => {
      const [action] = nextActions(1);
      sentAt.set(action!.action_id, Date.now());
      await streamActions(producer, contracts, topics.actions, [action!], PARTITIONS);
    });
    const timed = [...sentAt.keys()];
    await waitUntil("the timed actions decided", async () => decided(timed), { timeoutMs: 120_000, intervalMs: 50 });
    const latencies = timed.map((id) => tally.seenAt.get(id)! - sentAt.get(id)!);
    const p = percentiles(latencies, [50, 99]);
    const per1k = (ms: number) => Math.round((ms / options.backlog) * 1000);
    return {
      validators: count,
      decidedPerSecond: Math.round((options.backlog / drainMs) * 1000),
      offeredPerSecond: Math.round((options.backlog / offeredMs) * 1000),
      p50Ms: Number(p.p50!.toFixed(1)),
      p99Ms: Number(p.p99!.toFixed(1)),
      cpuPer1k: {
        validators: per1k(cpuAfter.validators - cpuBefore.validators),
        broker: per1k(cpuAfter.broker - cpuBefore.broker),
        loadAndReader: per1k(cpuAfter.bench - cpuBefore.bench),
      },
    };
  } finally {
    await tally.stop();
    await producer.disconnect();
    await Promise.all(validators.map((v) => v.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function prepare(kafka: Kafka, stack: LocalStack, topics: TopicNames): Promise<MandateContracts> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, topics, { actionPartitions: PARTITIONS });
  } finally {
    await admin.disconnect();
  }
  const connection = { kafkaBrokers: stack.kafkaBrokers, schemaRegistryUrl: stack.schemaRegistryUrl, topics };
  const publisher = await GovernancePublisher.connect(connection);
  for (const agent of AGENTS) await publisher.publish(testRegistration(agent));
  await publisher.close();
  return openContracts(connection, topics);
}

/** Until the group is stable with `count` members, each holding some of the partitions. */
async function waitForMembers(kafka: Kafka, groupId: string, count: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await waitUntil(
      `${count} validator(s) in the group`,
      async () => {
        const { groups } = await admin.describeGroups([groupId]);
        return groups[0]?.state === "Stable" && groups[0].members.length === count;
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );
  } finally {
    await admin.disconnect();
  }
}

function cpuNow(validators: ManagedProcess[], stack: LocalStack) {
  return {
    validators: validators.reduce((sum, v) => sum + (cpuMs(v.pid) ?? 0), 0),
    broker: cpuMs(stack.broker.pid) ?? 0,
    bench: cpuMs(process.pid) ?? 0,
  };
}

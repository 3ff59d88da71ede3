import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Kafka, logLevel, type Consumer, type EachBatchPayload, type Producer } from "kafkajs";
import type { LocalStack } from "../../infra/src/local-stack.js";
import type { ManagedProcess } from "../../infra/src/managed-process.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import {
  ACTION_ID_HEADER,
  openContracts,
  type MandateContracts,
  isolatedTopics,
  type TopicNames,
} from "@mandate/contracts";
import { ensureTopics } from "@mandate/common/topics";
import { GovernancePublisher, MandateAgent, VerdictTimeoutError } from "@mandate/sdk";
import { testRegistration } from "../support/registrations.js";
import { startValidatorProcess } from "../support/validator-process.js";
import { freePort } from "../../infra/src/free-port.js";
import { histogramsSince, scrapeSteps, stepFigures, type StepFigure, type StepHistograms } from "./validator-steps.js";
import { atFixedRate } from "./latency-stats.js";
import { cpuMs } from "./process-cpu.js";
import type { ActionTimeline } from "./pipeline-hops.js";

const AGENTS = 12;

/**
 * Wall-clock milliseconds with sub-millisecond resolution, comparable with the validator's Date.now():
 * performance.now() plus its offset from Date.now(), taken where Date.now() ticks (calibrateClock).
 * NOTE: not performance.timeOrigin + performance.now(), which was found 0.4–1.5 ms off Date.now() here,
 * as much as some of the hops it would time.
 */
let clockOffset = calibrateClock();
const now = () => performance.now() + clockOffset;

/** The median over five ticks of Date.now() of (Date.now() − performance.now()) at the tick. */
function calibrateClock(): number {
  const offsets: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    const before = Date.now();
    let tick = before;
    while (tick === before) tick = Date.now();
    offsets.push(tick - performance.now());
  }
  return offsets.sort((a, b) => a - b)[2] as number;
}

export interface PipelineRun {
  /** propose() → verdict in the agent's hands, ms, warm-up left out; a timed-out proposal counts as its timeout. */
  latencies: number[];
  /** The same for the warm-up's proposals. */
  warmupLatencies: number[];
  /** Proposals with no verdict within the timeout (their latency is a lower bound). */
  timeouts: number;
  /** The rate the generator managed to offer, which on a loaded machine can fall short of the one asked. */
  offeredPerSecond: number;
  /** Per measured action, when it passed each point; empty unless the run was asked for hops. */
  timelines: ActionTimeline[];
  /**
   * CPU milliseconds per 1,000 proposals (warm-up included) over the run: the validator process, the
   * broker, and this process (agents, their listeners, the generator and any hop observers).
   */
  cpuPer1k: { validator: number; broker: number; agentsAndLoad: number };
  /**
   * The validator's own steps over the measured proposals (its mandate_validator_step_seconds, read at
   * the first measured proposal and at the end; a few warm-up actions committed after the first read count too).
   */
  validatorSteps: StepFigure[];
}

/**
 * The pipeline's verdict path (a validator, no sink: the trail has its own figures) on fresh topics,
 * with AGENTS registered SDK agents proposing at a fixed rate. The validator is its own process, started
 * as a deployment starts it (its defaults, environment); the agents (each with its own DecisionListener,
 * which reads its agent's partition of the decision topic), the generator and the hop observers share
 * this process. NOTE: on a small machine they all take CPU from each other and from the broker.
 */
export class PipelineBench {
  private constructor(
    private readonly kafka: Kafka,
    private readonly brokerPid: number | undefined,
    private readonly topics: TopicNames,
    private readonly contracts: MandateContracts,
    /** The validator's process, for its CPU time. */
    readonly validator: ManagedProcess,
    /** The validator's /metrics, for its step histograms. */
    private readonly validatorMetricsUrl: string,
    private readonly agents: MandateAgent[],
    private readonly acked: Map<string, number>,
  ) {}

  static async start(
    stack: LocalStack,
    partitions: number,
    options: { cpuProfileDir?: string | undefined } = {},
  ): Promise<PipelineBench> {
    const kafka = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING });
    const topics = isolatedTopics("bench");
    const admin = kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, topics, { actionPartitions: partitions });
    } finally {
      await admin.disconnect();
    }
    const connection = { kafkaBrokers: stack.kafkaBrokers, schemaRegistryUrl: stack.schemaRegistryUrl, topics };
    const publisher = await GovernancePublisher.connect(connection);
    const agentIds = Array.from({ length: AGENTS }, (_, i) => `bench-agent-${i}`);
    for (const id of agentIds) await publisher.publish(testRegistration(id));
    await publisher.close();
    // Started after the registrations: a validator reads the registry to its end before it decides.
    const httpPort = await freePort();
    const validator = startValidatorProcess({
      id: "bench",
      topics,
      groupId: `mandate-validator-${topics.actions}`,
      logFile: path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mandate-bench-pipeline-")), "validator.log"),
      cpuProfileDir: options.cpuProfileDir,
      kafkaBrokers: stack.kafkaBrokers,
      schemaRegistryUrl: stack.schemaRegistryUrl,
      env: {
        MANDATE_LOG_LEVEL: "warn",
        MANDATE_ACTION_PARTITIONS: String(partitions),
        MANDATE_HTTP_PORT: String(httpPort),
      },
    });
    const agents = await Promise.all(agentIds.map((agentId) => MandateAgent.connect({ ...connection, agentId })));
    const acked = new Map<string, number>();
    for (const agent of agents) onActionAcknowledged(agent, (actionId, at) => acked.set(actionId, at));
    const contracts = await openContracts(connection, topics);
    const metricsUrl = `http://127.0.0.1:${httpPort}/metrics`;
    const bench = new PipelineBench(kafka, stack.broker.pid, topics, contracts, validator, metricsUrl, agents, acked);
    await bench.drain();
    return bench;
  }

  /**
   * `count` proposals (after `warmup` more) at `rate` per second. With `hops`, three consumers follow the
   * action and decision topics meanwhile to time each action's way (pipeline-hops.ts); they add a little
   * load, so runs for a rate limit go without.
   */
  async run(rate: number, count: number, warmup: number, options: { hops: boolean }): Promise<PipelineRun> {
    const observers = options.hops ? await this.observe() : undefined;
    const timelines = new Map<string, ActionTimeline>();
    const latencies: number[] = [];
    const warmupLatencies: number[] = [];
    let timeouts = 0;
    let lastFired = 0;
    const started = performance.now();
    const cpuBefore = this.cpuNow();
    this.acked.clear();
    clockOffset = calibrateClock();
    let stepsBefore: Promise<StepHistograms> | undefined;
    process.on("unhandledRejection", ignoreVerdictTimeout);
    try {
      await atFixedRate(rate, count + warmup, async (i) => {
        lastFired = performance.now();
        if (i === warmup) stepsBefore = scrapeSteps(this.validatorMetricsUrl);
        const actionId = crypto.randomUUID();
        const timeline: ActionTimeline = { proposed: now() };
        if (i >= warmup) timelines.set(actionId, timeline);
        const agent = this.agents[i % this.agents.length] as MandateAgent;
        try {
          await agent.propose(
            {
              actionId,
              tool: i % 7 === 0 ? "delete_everything" : "lookup_order",
              operation: "read",
              arguments: { order_id: `A-${i}` },
              intent: "benchmark",
            },
            { timeoutMs: PROPOSE_TIMEOUT_MS },
          );
          timeline.received = now();
        } catch (error) {
          if (!(error instanceof VerdictTimeoutError)) throw error;
          if (i >= warmup) timeouts += 1;
        }
        (i >= warmup ? latencies : warmupLatencies).push((timeline.received ?? now()) - timeline.proposed);
      });
      // The agents' listeners may have their last verdicts before the observers do.
      await observers?.settle();
    } finally {
      process.off("unhandledRejection", ignoreVerdictTimeout);
      await observers?.stop();
    }
    const validatorSteps = stepFigures(
      histogramsSince(await scrapeSteps(this.validatorMetricsUrl), await (stepsBefore as Promise<StepHistograms>)),
    );
    const offeredPerSecond = (count + warmup - 1) / ((lastFired - started) / 1000);
    const cpuAfter = this.cpuNow();
    const per1k = (key: keyof typeof cpuAfter) =>
      Math.round(((cpuAfter[key] - cpuBefore[key]) / (count + warmup)) * 1000);
    const cpuPer1k = { validator: per1k("validator"), broker: per1k("broker"), agentsAndLoad: per1k("agentsAndLoad") };
    if (observers === undefined)
      return { latencies, warmupLatencies, timeouts, offeredPerSecond, timelines: [], cpuPer1k, validatorSteps };
    for (const [actionId, timeline] of timelines) timeline.acked = this.acked.get(actionId);
    return {
      latencies,
      warmupLatencies,
      timeouts,
      offeredPerSecond,
      timelines: observers.complete(timelines),
      cpuPer1k,
      validatorSteps,
    };
  }

  /**
   * Waits until every agent's next proposal is decided, so that a backlog left by an overloaded run
   * (proposals that timed out are still decided later) does not count against the next one.
   */
  async drain(): Promise<void> {
    await Promise.all(
      this.agents.map((agent) =>
        agent.propose({ tool: "lookup_order", operation: "read", arguments: {} }, { timeoutMs: DRAIN_TIMEOUT_MS }),
      ),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.close()));
    await this.validator.stop();
  }

  private cpuNow() {
    return {
      validator: cpuMs(this.validator.pid) ?? 0,
      broker: cpuMs(this.brokerPid) ?? 0,
      agentsAndLoad: cpuMs(process.pid) ?? 0,
    };
  }

  /** Consumers that hear of actions and decisions as they are appended and as they are committed. */
  private async observe(): Promise<HopObservers> {
    const actionReadable = new Map<string, number>();
    /** partition:offset of a decision → its action, decided_at, CreateTime and when it was seen uncommitted. */
    const uncommitted = new Map<string, { actionId: string; decided: number; produced: number; appended: number }>();
    const committed = new Map<string, number>();
    // NOTE: one arrival time per batch, taken before any decoding, so a record's time does not include
    // the decoding of the records before it.
    const consumers = await Promise.all([
      this.follow(this.topics.actions, true, async ({ batch }) => {
        const at = now();
        for (const m of batch.messages) {
          const actionId = m.headers?.[ACTION_ID_HEADER]?.toString();
          if (actionId !== undefined) actionReadable.set(actionId, at);
        }
      }),
      this.follow(this.topics.decisions, true, async ({ batch }) => {
        const at = now();
        for (const m of batch.messages) {
          const decision = await this.contracts.decision.decode(m.value);
          uncommitted.set(`${batch.partition}:${m.offset}`, {
            actionId: decision.action.action_id,
            decided: decision.decided_at,
            produced: Number(m.timestamp),
            appended: at,
          });
        }
      }),
      this.follow(this.topics.decisions, false, async ({ batch }) => {
        const at = now();
        for (const m of batch.messages) committed.set(`${batch.partition}:${m.offset}`, at);
      }),
    ]);
    return {
      settle: () =>
        waitUntil("hop observers", async () => [...uncommitted.keys()].every((position) => committed.has(position)), {
          timeoutMs: OBSERVERS_SETTLE_MS,
          intervalMs: 20,
        }).catch(() => undefined),
      stop: () => Promise.all(consumers.map((c) => c.disconnect())).then(() => undefined),
      complete: (timelines) => {
        for (const [actionId, timeline] of timelines) timeline.readable = actionReadable.get(actionId);
        for (const [position, seen] of uncommitted) {
          const timeline = timelines.get(seen.actionId);
          if (timeline === undefined) continue;
          timeline.decided = seen.decided;
          timeline.decisionProduced = seen.produced;
          timeline.decisionAppended = seen.appended;
          timeline.decisionReadable = committed.get(position);
        }
        return [...timelines.values()];
      },
    };
  }

  /** A consumer of `topic` from its current end, joined before this resolves. */
  private async follow(
    topic: string,
    readUncommitted: boolean,
    eachBatch: (payload: EachBatchPayload) => Promise<void>,
  ): Promise<Consumer> {
    const consumer = this.kafka.consumer({ groupId: `bench-observer-${crypto.randomUUID()}`, readUncommitted });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({ eachBatch });
    await joined;
    return consumer;
  }
}

interface HopObservers {
  /** Waits (up to OBSERVERS_SETTLE_MS; a point not seen by then is left out) until every decision seen uncommitted is seen committed. */
  settle(): Promise<void>;
  stop(): Promise<void>;
  /** Fills in what the consumers saw of each action. */
  complete(timelines: Map<string, ActionTimeline>): ActionTimeline[];
}

/** Long enough that an overloaded run shows up as latency; a timed-out proposal is counted apart too. */
const PROPOSE_TIMEOUT_MS = 30_000;
const DRAIN_TIMEOUT_MS = 180_000;
const OBSERVERS_SETTLE_MS = 15_000;

/**
 * NOTE: propose() arms its deadline before its send completes and leaves the deadline's rejection
 * unhandled while the send is pending, so an overloaded run would end the process. The same
 * VerdictTimeoutError also reaches propose()'s caller, which counts it; anything else still ends the process.
 */
function ignoreVerdictTimeout(reason: unknown): void {
  if (!(reason instanceof VerdictTimeoutError)) throw reason;
}

/**
 * Calls `acknowledged` with each action's id when the broker acknowledges the agent's send. NOTE: the
 * SDK does not tell when a proposal was appended (propose() resolves with the verdict), and this bench
 * does not change the SDK, so the agent's producer's send is wrapped: it sends the same request and
 * only notes the time its acknowledgement came back.
 */
function onActionAcknowledged(agent: MandateAgent, acknowledged: (actionId: string, at: number) => void): void {
  const producer = (agent as unknown as { producer?: Producer }).producer;
  if (typeof producer?.send !== "function") {
    throw new Error("MandateAgent keeps its producer elsewhere now: the bench cannot time the proposal's append");
  }
  const send = producer.send.bind(producer);
  producer.send = async (record) => {
    const metadata = await send(record);
    const at = now();
    for (const message of record.messages) {
      const actionId = message.headers?.[ACTION_ID_HEADER];
      if (actionId !== undefined) acknowledged(String(actionId), at);
    }
    return metadata;
  };
}

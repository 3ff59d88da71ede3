import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Kafka, logLevel, type Producer } from "kafkajs";
import { progress } from "../../infra/src/progress.js";
import { detectCapabilities, openClickHouse, type ClickHouseClient } from "@mandate/common/clickhouse-connection";
import type { ClickHouseTarget } from "@mandate/common/clickhouse-target";
import { openContracts, type MandateContracts, isolatedTopics, type TopicNames } from "@mandate/contracts";
import { ensureTopics } from "@mandate/common/topics";
import { migrateTrail } from "@mandate/sink/trail-migrations";
import { verifyTrail } from "@mandate/cli/trail-verify";
import { DecisionChainer } from "@mandate/sink/decision-chainer";
import { sinkConfigSchema } from "@mandate/sink/sink-config";
import { SinkService } from "@mandate/sink/sink-service";
import { decisionRow } from "@mandate/sink/trail-rows";
import { TrailColumns } from "@mandate/common/trail-columns";
import { InsertRows } from "@mandate/sink/trail-writer";
import { sampleDecision } from "../support/trail-decisions.js";
import { percentiles } from "./latency-stats.js";
import { cpuMs } from "./process-cpu.js";
import { SINGLE_BROKER_TOPIC_SETTINGS } from "../../infra/src/pipeline.js";

/**
 * The trail's figures in `npm run bench`, on the embedded engine and on the server:
 * - sink throughput: the real SinkService draining a pre-filled decisions topic (decode, hash chain,
 *   insert, commit), next to two baselines measured in the same run — a bare consumer reading the same
 *   topic, and bare inserts of the same rows. The sink drains the topic 1 + SINK_DRAINS times, each
 *   time into a new database with a new consumer group: the first drain runs the sink's code for the
 *   first time in this process (reported as "first drain", JavaScript not yet compiled to optimised
 *   code); the others give the throughput of a sink that has been running, as their median and range
 *   (this 2-core machine's speed varies by a third from one minute to the next), with the CPU split
 *   of the median drain;
 * - ingest delay: decisions produced at a fixed rate while the sink runs, from `decided_at` to the row
 *   being queryable (seen by a poller every 50 ms, so up to 50 ms too high);
 * - `trail verify` over a trail of VERIFY_ROWS decisions, and bytes per decision at that size.
 */
const THROUGHPUT_ROWS = Number(process.env.MANDATE_BENCH_SINK_ROWS ?? 100_000);
const SINK_DRAINS = Number(process.env.MANDATE_BENCH_SINK_DRAINS ?? 3);
const INGEST_RATE = Number(process.env.MANDATE_BENCH_INGEST_RATE ?? 5_000);
const INGEST_SECONDS = Number(process.env.MANDATE_BENCH_INGEST_SECONDS ?? 15);
const VERIFY_ROWS = Number(process.env.MANDATE_BENCH_VERIFY_ROWS ?? 1_000_000);
const AGENTS = 1_000;
const PARTITIONS = 6;

interface Connection {
  kafkaBrokers: string[];
  schemaRegistryUrl: string;
}

/** The processes whose CPU time the sink figures are split into (Linux /proc; absent elsewhere). */
export interface BenchProcesses {
  clickhouseServerPid: number | undefined;
  brokerPid: number | undefined;
}

export interface TrailBenchRow {
  trail: string;
  [figure: string]: string | number;
}

export async function benchTrail(
  stack: Connection & { clickhouseUrl: string },
  processes: BenchProcesses,
): Promise<{ rows: TrailBenchRow[]; figures: Record<string, number> }> {
  const kafka = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING });
  const embeddedDir = fs.mkdtempSync(path.join(os.tmpdir(), "mandate-bench-chdb-"));
  const targets: Array<[string, ClickHouseTarget]> = [
    ["embedded (chdb)", { mode: "embedded", path: embeddedDir }],
    ["server (clickhouse-server)", { mode: "server", url: stack.clickhouseUrl }],
  ];
  const rows: TrailBenchRow[] = [];
  /** The same figures for the bench's JSON, keyed `trail_<embedded|server>_…`. */
  const figures: Record<string, number> = {};
  try {
    const filled = isolatedTopics("bench-trail");
    progress(`trail: filling a decisions topic with ${THROUGHPUT_ROWS} decisions`);
    const contracts = await prepareTopics(kafka, stack, filled);
    await produceDecisions(kafka, contracts, filled, THROUGHPUT_ROWS);
    const readRate = await bareConsumerRate(kafka, filled, THROUGHPUT_ROWS);

    for (const [name, target] of targets) {
      const database = `bench_${Math.random().toString(36).slice(2, 8)}`;
      progress(`trail ${name}: bare inserts of ${THROUGHPUT_ROWS} rows`);
      const insertRate = await bareInsertRate(target, `${database}_bare`, THROUGHPUT_ROWS);
      progress(`trail ${name}: the sink draining ${THROUGHPUT_ROWS} decisions, ${1 + SINK_DRAINS} times`);
      const drains = [];
      for (let i = 0; i <= SINK_DRAINS; i += 1) {
        // Each database dropped at once, like the bare inserts': its merges would take CPU from the next drain.
        drains.push(await sinkDrain(stack, target, filled, `${database}_drain${i}`, THROUGHPUT_ROWS, processes));
      }
      const [firstDrain, ...measured] = drains as [SinkDrain, ...SinkDrain[]];
      measured.sort((a, b) => a.rate - b.rate);
      const drain = measured[Math.floor(measured.length / 2)]!;
      progress(`trail ${name}: ingest delay at ${INGEST_RATE} decisions/s for ${INGEST_SECONDS} s`);
      const delays = await ingestDelays(kafka, stack, target, `${database}_delay`);
      progress(`trail ${name}: ${VERIFY_ROWS} chained rows, then trail verify`);
      const verify = await verifyFigures(target, `${database}_verify`, VERIFY_ROWS);
      const delay = percentiles(delays, [50, 99]);
      rows.push({
        trail: name,
        "sink rows/s": Math.round(drain.rate),
        "sink range": `${Math.round(measured[0]!.rate)}–${Math.round(measured.at(-1)!.rate)}`,
        "first drain rows/s": Math.round(firstDrain.rate),
        "bare consumer rows/s": Math.round(readRate),
        "bare insert rows/s": Math.round(insertRate),
        "sink / bare insert": Number((drain.rate / insertRate).toFixed(2)),
        "CPU µs/row: sink main thread": drain.cpuMicrosPerRow.sinkMain,
        "sink other threads": drain.cpuMicrosPerRow.sinkOther,
        "clickhouse-server": drain.cpuMicrosPerRow.clickhouseServer,
        broker: drain.cpuMicrosPerRow.broker,
        [`ingest delay p50 ms @${INGEST_RATE}/s`]: Math.round(delay.p50!),
        [`ingest delay p99 ms @${INGEST_RATE}/s`]: Math.round(delay.p99!),
        [`verify ${VERIFY_ROWS} rows s`]: Number((verify.verifyMs / 1000).toFixed(2)),
        "bytes/decision": Number(verify.bytesPerDecision.toFixed(1)),
      });
      const prefix = `trail_${target.mode}`;
      Object.assign(figures, {
        [`${prefix}_sink_rows_per_s`]: drain.rate,
        [`${prefix}_bare_consumer_rows_per_s`]: readRate,
        [`${prefix}_bare_insert_rows_per_s`]: insertRate,
        [`${prefix}_ingest_delay_p50_ms`]: delay.p50!,
        [`${prefix}_ingest_delay_p99_ms`]: delay.p99!,
        [`${prefix}_verify_s`]: verify.verifyMs / 1000,
        [`${prefix}_bytes_per_decision`]: verify.bytesPerDecision,
      });
    }
  } finally {
    fs.rmSync(embeddedDir, { recursive: true, force: true });
  }
  return { rows, figures };
}

async function prepareTopics(kafka: Kafka, stack: Connection, topics: TopicNames): Promise<MandateContracts> {
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, topics, { actionPartitions: PARTITIONS });
  await admin.disconnect();
  return openContracts(stack, topics);
}

async function produceDecisions(
  kafka: Kafka,
  contracts: MandateContracts,
  topics: TopicNames,
  count: number,
): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const started = Date.now() - 3_600_000;
  for (let sent = 0; sent < count; sent += 2_000) {
    const messages = Array.from({ length: Math.min(2_000, count - sent) }, (_, i) => {
      const decision = sampleDecision(`agent-${(sent + i) % AGENTS}`, started + sent + i);
      return { key: decision.action.agent_id, value: contracts.decision.encode(decision) };
    });
    await producer.send({ topic: topics.decisions, acks: -1, messages });
  }
  await producer.disconnect();
}

/** Baseline: a consumer that reads every decision and does nothing with it. */
async function bareConsumerRate(kafka: Kafka, topics: TopicNames, count: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-bare-${Math.random()}`, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.decisions, fromBeginning: true });
  let seen = 0;
  let first = 0;
  const done = new Promise<number>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        if (first === 0) first = performance.now();
        seen += batch.messages.length;
        if (seen >= count) resolve(performance.now());
      },
    });
  });
  const last = await done;
  await consumer.disconnect();
  return count / ((last - first) / 1000);
}

/**
 * Baseline: the same rows inserted straight into ClickHouse in batches of 10,000, in the sink's insert
 * format (each row hashed as the insert writes it, as the sink's are), no Kafka, no chain links.
 */
async function bareInsertRate(target: ClickHouseTarget, database: string, count: number): Promise<number> {
  const client = await openClickHouse(target);
  try {
    await migrateTrail(client, database);
    const batches = Array.from({ length: Math.ceil(count / 10_000) }, (_, b) =>
      sampleRows(b * 10_000, Math.min(10_000, count - b * 10_000)),
    );
    const decisions = (await TrailColumns.read(client, database)).of("decisions");
    const started = performance.now();
    for (const rows of batches) {
      const insert = new InsertRows(decisions);
      for (const row of rows) insert.add(row);
      await insert.insertInto(client);
    }
    const rate = count / ((performance.now() - started) / 1000);
    // Dropped at once, so that merging its parts does not take CPU from the sink measured next.
    await client.command({ query: `DROP DATABASE ${database}` });
    return rate;
  } finally {
    await client.close();
  }
}

function sampleRows(from: number, count: number) {
  const start = Date.now() - 3_600_000;
  return Array.from({ length: count }, (_, i) =>
    decisionRow(
      sampleDecision(`agent-${(from + i) % AGENTS}`, start + from + i),
      { partition: 0, offset: String(from + i) },
      Date.now(),
    ),
  );
}

function startSink(stack: Connection, target: ClickHouseTarget, topics: TopicNames, database: string): SinkService {
  return new SinkService(
    sinkConfigSchema.parse({
      kafkaBrokers: stack.kafkaBrokers,
      schemaRegistryUrl: stack.schemaRegistryUrl,
      topics,
      groupId: `bench-sink-${database}`,
      clickhouse: target,
      database,
      logLevel: "silent",
      ...SINGLE_BROKER_TOPIC_SETTINGS,
    }),
  );
}

async function countRows(client: ClickHouseClient, database: string): Promise<number> {
  const result = await client.query({ query: `SELECT count() AS n FROM ${database}.decisions`, format: "JSONEachRow" });
  const [row] = (await result.json()) as Array<{ n: string | number }>;
  return Number(row?.n ?? 0);
}

/**
 * The sink's rate from the moment it has joined its group (start() returns once it has, and fetching
 * begins) to its last row being stored: migrations and group join are not counted, the first fetch,
 * decode and insert are. Stored means inserted and its offsets committed, as the sink's own count of
 * stored rows says (read in this process, so waiting for it puts no query on ClickHouse, which runs
 * one statement at a time in embedded mode); a count of the table then confirms that every row is
 * queryable. Over the same window, the CPU time each process spent, per row: the
 * sink's main thread (this process's, where the sink runs), its other threads (garbage collection
 * and, in embedded mode, the ClickHouse engine), the ClickHouse server and the broker. On a machine
 * with few cores their sum bounds the rate.
 */
async function sinkDrain(
  stack: Connection,
  target: ClickHouseTarget,
  topics: TopicNames,
  database: string,
  count: number,
  processes: BenchProcesses,
): Promise<SinkDrain> {
  const sink = startSink(stack, target, topics, database);
  await sink.start();
  const cpuBefore = cpuTimes(processes);
  const started = performance.now();
  try {
    while ((await storedRows(sink)) < count) await new Promise((r) => setTimeout(r, 5));
    for (;;) {
      const rows = await countRows(sink.trail, database);
      if (rows >= count) {
        const rate = rows / ((performance.now() - started) / 1000);
        const cpuAfter = cpuTimes(processes);
        const perRow = (key: keyof CpuTimes) =>
          Number(((((cpuAfter[key] ?? NaN) - (cpuBefore[key] ?? NaN)) * 1000) / rows).toFixed(1));
        return {
          rate,
          cpuMicrosPerRow: {
            sinkMain: perRow("main"),
            sinkOther: Number((perRow("process") - perRow("main")).toFixed(1)),
            clickhouseServer: target.mode === "server" ? perRow("clickhouseServer") : 0,
            broker: perRow("broker"),
          },
        };
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    try {
      await sink.trail.command({ query: `DROP DATABASE ${database}` });
    } finally {
      await sink.stop();
    }
  }
}

/** Rows the sink has stored and committed so far, from its metrics (the sum of its inserts' sizes). */
async function storedRows(sink: SinkService): Promise<number> {
  const { values } = await sink.metrics.flushRows.get();
  return values.find((v) => v.metricName === "mandate_sink_flush_rows_sum")?.value ?? 0;
}

interface SinkDrain {
  rate: number;
  cpuMicrosPerRow: { sinkMain: number; sinkOther: number; clickhouseServer: number; broker: number };
}

interface CpuTimes {
  main: number | undefined;
  process: number | undefined;
  clickhouseServer: number | undefined;
  broker: number | undefined;
}

/** User plus system CPU milliseconds so far; undefined where it cannot be read. */
function cpuTimes(processes: BenchProcesses): CpuTimes {
  return {
    main: cpuMs(process.pid, process.pid),
    process: cpuMs(process.pid),
    clickhouseServer: cpuMs(processes.clickhouseServerPid),
    broker: cpuMs(processes.brokerPid),
  };
}

/** Decided-at to queryable, for decisions produced at INGEST_RATE while the sink runs. */
async function ingestDelays(kafka: Kafka, stack: Connection, target: ClickHouseTarget, database: string) {
  const topics = isolatedTopics("bench-ingest");
  const contracts = await prepareTopics(kafka, stack, topics);
  const sink = startSink(stack, target, topics, database);
  await sink.start();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  /** partition → offsets in order, with the decided_at of each. */
  const produced = new Map<number, Array<{ offset: number; decidedAt: number }>>();
  const delays: number[] = [];
  let producing = true;
  const poller = pollVisibility(sink.trail, database, produced, delays, () => producing);
  try {
    await produceAtRate(producer, contracts, topics, produced);
  } finally {
    producing = false;
    await poller;
    await producer.disconnect();
    await sink.stop();
  }
  return delays;
}

async function produceAtRate(
  producer: Producer,
  contracts: MandateContracts,
  topics: TopicNames,
  produced: Map<number, Array<{ offset: number; decidedAt: number }>>,
): Promise<void> {
  const tickMs = 20;
  const perTick = Math.round((INGEST_RATE * tickMs) / 1000);
  const ticks = Math.round((INGEST_SECONDS * 1000) / tickMs);
  const started = performance.now();
  const sends: Promise<void>[] = [];
  for (let tick = 0; tick < ticks; tick += 1) {
    const wait = started + tick * tickMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const decidedAt = Date.now();
    // Each agent to one partition (agent index modulo partitions), set explicitly so the offsets of
    // each message are known from the partition's base offset.
    const byPartition = new Map<number, Array<{ key: string; value: Buffer; partition: number }>>();
    for (let i = 0; i < perTick; i += 1) {
      const agent = (tick * perTick + i) % AGENTS;
      const decision = sampleDecision(`agent-${agent}`, decidedAt);
      const partition = agent % PARTITIONS;
      const list = byPartition.get(partition) ?? [];
      byPartition.set(partition, list);
      list.push({ key: decision.action.agent_id, value: contracts.decision.encode(decision), partition });
    }
    const messages = [...byPartition.values()].flat();
    sends.push(
      producer.send({ topic: topics.decisions, acks: -1, messages }).then((metadata) => {
        for (const m of metadata) {
          const list = produced.get(m.partition) ?? [];
          produced.set(m.partition, list);
          const sentThere = byPartition.get(m.partition)?.length ?? 0;
          for (let k = 0; k < sentThere; k += 1) list.push({ offset: Number(m.baseOffset) + k, decidedAt });
        }
      }),
    );
  }
  await Promise.all(sends);
}

async function pollVisibility(
  client: ClickHouseClient,
  database: string,
  produced: Map<number, Array<{ offset: number; decidedAt: number }>>,
  delays: number[],
  producing: () => boolean,
): Promise<void> {
  const seen = new Map<number, number>();
  for (let idle = 0; idle < 100;) {
    const result = await client.query({
      query: `SELECT kafka_partition AS p, max(kafka_offset) AS o FROM ${database}.decisions GROUP BY kafka_partition`,
      format: "JSONEachRow",
    });
    const now = Date.now();
    let caughtUp = true;
    for (const { p, o } of (await result.json()) as Array<{ p: number; o: string | number }>) {
      const list = produced.get(Number(p)) ?? [];
      let next = seen.get(Number(p)) ?? 0;
      while (next < list.length && list[next]!.offset <= Number(o)) delays.push(now - list[next++]!.decidedAt);
      seen.set(Number(p), next);
    }
    for (const [p, list] of produced) if ((seen.get(p) ?? 0) < list.length) caughtUp = false;
    if (!producing() && caughtUp) return;
    if (!producing()) idle += 1;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** VERIFY_ROWS chained rows over AGENTS agents, inserted in batches; then `trail verify` and the bytes they take. */
async function verifyFigures(target: ClickHouseTarget, database: string, count: number) {
  const client = await openClickHouse(target);
  try {
    await migrateTrail(client, database);
    const chainer = new DecisionChainer(client, database);
    const decisions = (await TrailColumns.read(client, database)).of("decisions");
    const batch = 20_000;
    for (let from = 0; from < count; from += batch) {
      const rows = sampleRows(from, Math.min(batch, count - from));
      if (chainer.needsHeads(0, String(from))) await chainer.loadHeads(0, String(from));
      const insert = new InsertRows(decisions);
      const linked = chainer.link(0, String(from + rows.length - 1), rows, (row) => insert.add(row) as string);
      await insert.insertInto(client);
      linked();
    }
    const verification = await verifyTrail(client, { database, capabilities: await detectCapabilities(client) });
    if (verification.rows !== count || verification.problems.length > 0) {
      throw new Error(`verify saw ${verification.rows} rows and ${verification.problems.length} problems`);
    }
    const parts = await client.query({
      query: `SELECT sum(data_compressed_bytes) AS bytes, sum(rows) AS rows FROM system.parts
        WHERE database = '${database}' AND table = 'decisions' AND active`,
      format: "JSONEachRow",
    });
    const [size] = (await parts.json()) as Array<{ bytes: string | number; rows: string | number }>;
    return { verifyMs: verification.elapsedMs, bytesPerDecision: Number(size?.bytes) / Number(size?.rows) };
  } finally {
    await client.close();
  }
}

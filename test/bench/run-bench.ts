import crypto from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { startLocalStack } from "../../infra/src/local-stack.js";
import { startPipeline } from "../../infra/src/pipeline.js";
import { progress } from "../../infra/src/progress.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import { ensureTopics, isolatedTopics } from "../../services/common/src/topics.js";
import { MandateAgent } from "../../sdk/src/mandate-agent.js";
import { GovernancePublisher } from "../../sdk/src/governance-publisher.js";
import { testRegistration } from "../support/registrations.js";
import { benchDecisions } from "./decision-bench.js";
import { benchSessionDecisions } from "./session-bench.js";
import { KafkaEcho } from "./kafka-echo.js";
import { benchTrail } from "./trail-bench.js";
import { benchRestore, formatRestoreRow } from "./restore-bench.js";
import { atFixedRate, formatRow, percentiles } from "./latency-stats.js";

/**
 * `npm run bench`: end-to-end latency (propose → verdict in the agent's hands) of the pipeline at a
 * fixed rate, next to a bare Kafka echo with the same broker and client settings and no decision,
 * both measured in this run on this machine; then the trail's figures (trail-bench.ts) and the
 * validator state's restore time (restore-bench.ts). Figures are reported, not asserted.
 */
const RATE = Number(process.env.MANDATE_BENCH_RATE ?? 200);
const COUNT = Number(process.env.MANDATE_BENCH_COUNT ?? 3000);
const WARMUP = Math.min(300, Math.floor(COUNT / 10));
const PARTITIONS = 6;

const DECISIONS = Number(process.env.MANDATE_BENCH_DECISIONS ?? 100_000);
const AGENTS = Number(process.env.MANDATE_BENCH_AGENTS ?? 1000);
const RESTORE_ACTIONS = Number(process.env.MANDATE_BENCH_RESTORE_ACTIONS ?? 100_000);

progress(`in-process decisions: ${DECISIONS} over ${AGENTS} agents`);
const decisions = benchDecisions(DECISIONS, AGENTS);
process.stdout.write(`\nIn-process decision, one core, decode excluded (targets: p50 ≤ 100 µs, p99 ≤ 500 µs):\n`);
console.table(decisions.rows);
process.stdout.write(
  `memory per registered agent (purpose model, Cedar entity, drift state): ${(decisions.bytesPerAgent / 1024).toFixed(1)} KiB\n\n`,
);

progress(`in-process decisions with provenance: ${DECISIONS} actions of recorded sessions`);
const withProvenance = benchSessionDecisions(DECISIONS);
if (withProvenance === null) {
  process.stdout.write(
    "decision with provenance: skipped, no eval datasets (../shared/datasets or MANDATE_DATASETS_DIR)\n\n",
  );
} else {
  process.stdout.write(
    `\nIn-process decision with provenance, ${withProvenance.sessions} recorded sessions of ≥ 5 observations replayed (targets: p50 ≤ 60 µs, p99 ≤ 300 µs):\n`,
  );
  console.table(withProvenance.rows);
  process.stdout.write(
    `memory per open session (provenance state): ${(withProvenance.bytesPerSession / 1024).toFixed(1)} KiB\n\n`,
  );
}

const stack = await startLocalStack({ clickhouse: "server" });
try {
  const kafka = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING });

  progress(`baseline: Kafka echo at ${RATE}/s, ${COUNT} messages`);
  const echoTopics = { in: `bench.echo.in.${crypto.randomUUID()}`, out: `bench.echo.out.${crypto.randomUUID()}` };
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: echoTopics.in, numPartitions: PARTITIONS },
      { topic: echoTopics.out, numPartitions: PARTITIONS },
    ],
  });
  const echo = new KafkaEcho(kafka, echoTopics.in, echoTopics.out);
  await echo.start();
  const waiting = new Map<string, () => void>();
  const listener = kafka.consumer({ groupId: `bench-listener-${crypto.randomUUID()}` });
  await listener.connect();
  await listener.subscribe({ topic: echoTopics.out, fromBeginning: true });
  await listener.run({
    eachMessage: async ({ message }) => waiting.get(message.headers?.id?.toString() ?? "")?.(),
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const payload = Buffer.alloc(350, 1); // about the size of an encoded demo action
  const echoLatencies: number[] = [];
  await atFixedRate(RATE, COUNT + WARMUP, async (i) => {
    const id = String(i);
    const started = performance.now();
    const received = new Promise<void>((resolve) => waiting.set(id, resolve));
    await producer.send({
      topic: echoTopics.in,
      acks: -1,
      messages: [{ key: `agent-${i % 12}`, value: payload, headers: { id } }],
    });
    await received;
    waiting.delete(id);
    if (i >= WARMUP) echoLatencies.push(performance.now() - started);
  });
  await Promise.all([producer.disconnect(), listener.disconnect(), echo.stop()]);

  progress(`pipeline: propose → verdict at ${RATE}/s, ${COUNT} actions`);
  const topics = isolatedTopics("bench");
  await ensureTopics(admin, topics, { actionPartitions: PARTITIONS });
  await admin.disconnect();
  // The verdict path only: no sink (the trail has its own figures below).
  const pipeline = await startPipeline(
    { ...stack, clickhouse: undefined },
    { topics, database: "unused", logLevel: "silent" },
  );
  const connection = { kafkaBrokers: stack.kafkaBrokers, schemaRegistryUrl: stack.schemaRegistryUrl, topics };
  const publisher = await GovernancePublisher.connect(connection);
  const agentIds = Array.from({ length: 12 }, (_, i) => `bench-agent-${i}`);
  for (const id of agentIds) await publisher.publish(testRegistration(id));
  await publisher.close();
  await waitUntil("registrations", async () =>
    agentIds.every((id) => pipeline.validators[0]?.registrationVersion(id) === 1),
  );
  const agents = await Promise.all(agentIds.map((agentId) => MandateAgent.connect({ ...connection, agentId })));
  const pipelineLatencies: number[] = [];
  await atFixedRate(RATE, COUNT + WARMUP, async (i) => {
    const started = performance.now();
    await (agents[i % agents.length] as MandateAgent).propose({
      tool: i % 7 === 0 ? "delete_everything" : "lookup_order",
      operation: "read",
      arguments: { order_id: `A-${i}` },
      intent: "benchmark",
    });
    if (i >= WARMUP) pipelineLatencies.push(performance.now() - started);
  });
  await Promise.all(agents.map((a) => a.close()));
  await pipeline.stop();

  const echoP = percentiles(echoLatencies);
  const pipeP = percentiles(pipelineLatencies);
  process.stdout.write(
    `\nEnd-to-end latency at ${RATE} actions/s (${COUNT} measured after ${WARMUP} warm-up), ${PARTITIONS} partitions, one broker:\n`,
  );
  console.table([formatRow("kafka echo (baseline)", echoLatencies), formatRow("mandate pipeline", pipelineLatencies)]);
  process.stdout.write(
    `ratio pipeline / echo: p50 ${(pipeP.p50! / echoP.p50!).toFixed(2)}x, p99 ${(pipeP.p99! / echoP.p99!).toFixed(2)}x\n`,
  );

  const trail = await benchTrail(
    {
      kafkaBrokers: stack.kafkaBrokers,
      schemaRegistryUrl: stack.schemaRegistryUrl,
      clickhouseUrl: stack.clickhouseServer!.url,
    },
    { clickhouseServerPid: stack.clickhouseServer?.pid, brokerPid: stack.broker.pid },
  );
  process.stdout.write(
    `\nThe trail (targets: sink ≥ 50,000 rows/s; ingest delay p99 ≤ 2,000 ms at 5,000 decisions/s; verify 1M rows in seconds):\n`,
  );
  console.table(trail);

  progress(`validator state: ${RESTORE_ACTIONS} actions decided, then restored by a cold validator`);
  const restore = await benchRestore(stack.kafkaBrokers, {
    actions: RESTORE_ACTIONS,
    agents: 100,
    batch: 100,
    ratePerSecond: 500,
    partitions: PARTITIONS,
  });
  process.stdout.write(
    `\nValidator state restore (the changelog read back into a cold engine, before any compaction: the worst case):\n`,
  );
  console.table([formatRestoreRow(restore)]);
} finally {
  await stack.stop();
}

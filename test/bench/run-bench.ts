import os from "node:os";
import path from "node:path";
import { startLocalStack } from "../../infra/src/local-stack.js";
import { SINGLE_BROKER_TOPIC_SETTINGS } from "../../infra/src/pipeline.js";
import { progress } from "../../infra/src/progress.js";
import { validatorConfigSchema } from "@mandate/validator/validator-config";
import { numberFromEnv } from "@mandate/common/service-config";
import { VALIDATOR_PROCESS_TIMEOUTS } from "../support/validator-process.js";
import { BenchResults } from "./bench-results.js";
import { benchDecisions } from "./decision-bench.js";
import { benchEcho } from "./echo-bench.js";
import { PLAIN_ECHO, TXN_ECHO, validatorEcho } from "./echo-settings.js";
import { formatRow, percentiles } from "./latency-stats.js";
import { PipelineBench, type PipelineRun } from "./pipeline-bench.js";
import { hopFigures } from "./pipeline-hops.js";
import { benchListeners } from "./listener-bench.js";
import { benchValidatorScale } from "./scale-bench.js";
import { benchRestore, formatRestoreRow } from "./restore-bench.js";
import { benchSessionDecisions } from "./session-bench.js";
import { benchTrail } from "./trail-bench.js";
import type { ValidatorStep } from "./validator-steps.js";

/**
 * `npm run bench`: the in-process decision cost; the pipeline's end-to-end latency (propose → verdict
 * in the agent's hands) at a fixed rate, where the time goes hop by hop, next to three Kafka echoes
 * measured in the same run (plain, transactional as first benched, transactional with the validator's
 * settings); the rate one validator sustains; then the trail's figures (trail-bench.ts) and the
 * validator state's restore time (restore-bench.ts). Figures are reported, not asserted; with
 * MANDATE_BENCH_JSON=<file> they are also written as one flat JSON object (bench-results.ts).
 * Scale-out (scale-bench.ts): 1, 2 and 3 validator processes over 12 partitions.
 * Listeners (listener-bench.ts): 50 agents' decision listeners in one process, before and after each read only its own partition.
 * MANDATE_BENCH_ONLY=<part>[,<part>] runs some of: decision, pipeline, listeners, scale, trail, restore.
 */
const PARTS = ["decision", "pipeline", "listeners", "scale", "trail", "restore"] as const;
type Part = (typeof PARTS)[number];
const ONLY = (process.env.MANDATE_BENCH_ONLY ?? PARTS.join(",")).split(",").map((p) => p.trim());
for (const part of ONLY) {
  if (!(PARTS as readonly string[]).includes(part)) throw new Error(`MANDATE_BENCH_ONLY: ${part} is none of ${PARTS}`);
}
const runs = (part: Part) => ONLY.includes(part);

const RATE = Number(process.env.MANDATE_BENCH_RATE ?? 200);
const COUNT = Number(process.env.MANDATE_BENCH_COUNT ?? 3000);
/**
 * Proposals at RATE before the measured ones, in the echoes and the pipeline alike. NOTE: a pipeline
 * just started is slower for its first seconds (V8 and the broker's JIT, first requests): at 200/s its
 * p50 came down from 30–80 ms to about 10 ms over the first 5 s. Those seconds are reported apart.
 */
const WARMUP_SECONDS = Number(process.env.MANDATE_BENCH_WARMUP_SECONDS ?? 10);
const WARMUP = Math.round(RATE * WARMUP_SECONDS);
const PARTITIONS = 6;
/** The sustained run: 2000 actions/s through one validator, for this long (0 skips it). */
const SUSTAINED_RATE = 2000;
const SUSTAIN_SECONDS = Number(process.env.MANDATE_BENCH_SUSTAIN_SECONDS ?? 60);
/** The rate search: each rate for this long (0 skips it), up to the first whose p99 exceeds P99_LIMIT_MS. */
const SEARCH_SECONDS = Number(process.env.MANDATE_BENCH_SEARCH_SECONDS ?? 15);
const SEARCH_RATES = (process.env.MANDATE_BENCH_SEARCH_RATES ?? "250,500,1000,1500,2000,3000,4000")
  .split(",")
  .map(Number);
const P99_LIMIT_MS = 250;

/** Listeners: this many agents' decision listeners, and the decisions published to them. */
const LISTENER_CLIENTS = Number(process.env.MANDATE_BENCH_LISTENER_CLIENTS ?? 50);
const LISTENER_DECISIONS = Number(process.env.MANDATE_BENCH_LISTENER_DECISIONS ?? 5000);
/** Scale-out: the validator counts, the backlog drained by each, and the fixed rate its latency is taken at. */
const SCALE_COUNTS = (process.env.MANDATE_BENCH_SCALE_VALIDATORS ?? "1,2,3").split(",").map(Number);
const SCALE_BACKLOG = Number(process.env.MANDATE_BENCH_SCALE_BACKLOG ?? 20_000);
const SCALE_RATE = Number(process.env.MANDATE_BENCH_SCALE_RATE ?? 500);
const SCALE_SECONDS = Number(process.env.MANDATE_BENCH_SCALE_SECONDS ?? 10);

/**
 * Set: the pipeline's and the scale part's validator processes run with `--cpu-prof` and write their V8
 * CPU profiles (`*.cpuprofile`, for Chrome DevTools or speedscope) to this folder when they stop.
 * NOTE: a profiled process is slower; its figures are for finding where the time goes, not for comparing.
 */
const CPU_PROFILE_DIR = process.env.MANDATE_BENCH_CPU_PROFILE_DIR
  ? path.resolve(process.env.MANDATE_BENCH_CPU_PROFILE_DIR)
  : undefined;

const DECISIONS = Number(process.env.MANDATE_BENCH_DECISIONS ?? 100_000);
const AGENTS = Number(process.env.MANDATE_BENCH_AGENTS ?? 1000);
const RESTORE_ACTIONS = Number(process.env.MANDATE_BENCH_RESTORE_ACTIONS ?? 100_000);

const STEP_MEANINGS: Record<ValidatorStep, string> = {
  waited: "waited: handed over by kafkajs → its batch began (the lane's previous transaction, a free slot)",
  decided: "decided: read, decided, signed, encoded, state records taken",
  sent: "sent: the transaction's records written (AddPartitionsToTxn, produce)",
  committed: "committed: the commit (EndTxn)",
};

const results = new BenchResults();

if (runs("decision")) {
  progress(`in-process decisions: ${DECISIONS} over ${AGENTS} agents`);
  const decisions = benchDecisions(DECISIONS, AGENTS);
  process.stdout.write(`\nIn-process decision, one core, decode excluded (targets: p50 ≤ 100 µs, p99 ≤ 500 µs):\n`);
  console.table(decisions.rows);
  process.stdout.write(
    `memory per registered agent (purpose model, Cedar entity, drift state): ${(decisions.bytesPerAgent / 1024).toFixed(1)} KiB\n\n`,
  );
  for (const [prefix, samples] of Object.entries(decisions.samples)) {
    const p = percentiles(Array.from(samples), [50, 99]);
    results.set(`${prefix}_p50_us`, p.p50);
    results.set(`${prefix}_p99_us`, p.p99);
  }
  results.set("decision_bytes_per_agent", decisions.bytesPerAgent);

  progress(`in-process decisions with provenance: ${DECISIONS} actions of recorded sessions`);
  const withProvenance = benchSessionDecisions(DECISIONS);
  if (withProvenance === null) {
    const why = "no eval datasets (../shared/datasets or MANDATE_DATASETS_DIR)";
    process.stdout.write(`decision with provenance: skipped, ${why}\n\n`);
    results.notMeasured("decision_provenance_p50_us", why);
    results.notMeasured("decision_provenance_p99_us", why);
  } else {
    process.stdout.write(
      `\nIn-process decision with provenance, ${withProvenance.sessions} recorded sessions of ≥ 5 observations replayed (targets: p50 ≤ 60 µs, p99 ≤ 300 µs):\n`,
    );
    console.table(withProvenance.rows);
    process.stdout.write(
      `memory per open session (provenance state): ${(withProvenance.bytesPerSession / 1024).toFixed(1)} KiB\n\n`,
    );
    results.set("decision_provenance_p50_us", Number(withProvenance.rows[0]?.p50));
    results.set("decision_provenance_p99_us", Number(withProvenance.rows[0]?.p99));
  }
}

if (runs("pipeline") || runs("listeners") || runs("scale") || runs("trail") || runs("restore")) {
  const stack = await startLocalStack({ clickhouse: runs("trail") ? "server" : "none" });
  try {
    if (runs("pipeline")) await benchPipeline(stack);
    if (runs("listeners")) await benchListenerCpu(stack);
    if (runs("scale")) await benchScale(stack);

    if (runs("trail")) {
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
      console.table(trail.rows);
      for (const [key, value] of Object.entries(trail.figures)) results.set(key, value);
    }

    if (runs("restore")) {
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
      results.set("restore_ms_per_100k_actions", restore.restoreMsPer100k);
      results.set("decide_again_ms_per_100k_actions", restore.decideMsPer100k);
    }
  } finally {
    await stack.stop();
  }
  if (CPU_PROFILE_DIR !== undefined) progress(`validator CPU profiles: ${CPU_PROFILE_DIR}`);
}

const notMeasured = results.notMeasuredLines();
if (notMeasured.length > 0)
  process.stdout.write(`\nNot measured in this run:\n${notMeasured.map((l) => `  ${l}\n`).join("")}`);
const jsonFile = process.env.MANDATE_BENCH_JSON;
if (jsonFile) {
  results.write(jsonFile);
  process.stdout.write(`\nfigures written to ${jsonFile}\n`);
}

async function benchPipeline(stack: Awaited<ReturnType<typeof startLocalStack>>): Promise<void> {
  // The settings of the pipeline's validator process (PipelineBench): its defaults, the timeouts the
  // tests' validator processes get, and MANDATE_VALIDATOR_CONCURRENCY when this environment sets it.
  const validatorConfig = validatorConfigSchema.parse({
    kafkaBrokers: stack.kafkaBrokers,
    schemaRegistryUrl: stack.schemaRegistryUrl,
    validatorId: "bench",
    ...SINGLE_BROKER_TOPIC_SETTINGS,
    ...VALIDATOR_PROCESS_TIMEOUTS,
    partitionsConcurrently: numberFromEnv(process.env.MANDATE_VALIDATOR_CONCURRENCY),
  });
  const echoes = [PLAIN_ECHO, TXN_ECHO, validatorEcho(validatorConfig)];
  const echoLatencies = new Map<string, number[]>();
  for (const settings of echoes) {
    progress(`baseline: Kafka echo (${settings.name}) at ${RATE}/s, ${COUNT} messages`);
    const latencies = await benchEcho(stack.kafkaBrokers, settings, {
      rate: RATE,
      count: COUNT,
      warmup: WARMUP,
      partitions: PARTITIONS,
    });
    echoLatencies.set(settings.name, latencies);
    const p = percentiles(latencies, [50, 99]);
    results.set(`echo_${settings.name}_${RATE}_p50_ms`, p.p50);
    results.set(`echo_${settings.name}_${RATE}_p99_ms`, p.p99);
  }

  const bench = await PipelineBench.start(stack, PARTITIONS, { cpuProfileDir: CPU_PROFILE_DIR });
  try {
    progress(`pipeline: propose → verdict at ${RATE}/s, ${COUNT} actions, each hop timed`);
    const measured = await bench.run(RATE, COUNT, WARMUP, { hops: true });
    const pipeP = percentiles(measured.latencies, [50, 99]);
    results.set(`pipeline_${RATE}_p50_ms`, pipeP.p50);
    results.set(`pipeline_${RATE}_p99_ms`, pipeP.p99);
    results.set(`pipeline_${RATE}_timeouts`, measured.timeouts);
    const warmP = percentiles(measured.warmupLatencies, [50, 99]);
    results.set(`pipeline_${RATE}_warmup_p50_ms`, warmP.p50, "no warm-up (MANDATE_BENCH_WARMUP_SECONDS=0)");
    results.set(`pipeline_${RATE}_warmup_p99_ms`, warmP.p99, "no warm-up (MANDATE_BENCH_WARMUP_SECONDS=0)");
    process.stdout.write(
      `\nEnd-to-end latency at ${RATE} actions/s (${COUNT} measured after ${WARMUP} warm-up, ${WARMUP_SECONDS} s), ${PARTITIONS} partitions, one broker:\n`,
    );
    console.table([
      ...echoes.map((e) => formatRow(`kafka echo: ${e.name}`, echoLatencies.get(e.name) ?? [])),
      formatRow("mandate pipeline", measured.latencies),
      formatRow(`mandate pipeline, its warm-up (first ${WARMUP_SECONDS} s)`, measured.warmupLatencies),
    ]);
    for (const e of echoes) {
      const echoP = percentiles(echoLatencies.get(e.name) ?? [], [50, 99]);
      process.stdout.write(
        `ratio pipeline / echo ${e.name}: p50 ${(pipeP.p50! / echoP.p50!).toFixed(2)}x, p99 ${(pipeP.p99! / echoP.p99!).toFixed(2)}x\n`,
      );
    }
    if (measured.timeouts > 0) process.stdout.write(`${measured.timeouts} proposals had no verdict in time\n`);

    const hops = hopFigures(measured.timelines);
    process.stdout.write(
      `\nWhere the time goes at ${RATE} actions/s, ms (each point from propose(), and from the point before):\n`,
    );
    console.table(
      hops.map((h) => ({
        hop: h.hop,
        n: h.n,
        "from propose p50": h.fromProposeP50 ?? "in validator steps",
        "from propose p99": h.fromProposeP99 ?? "in validator steps",
        "step p50": h.stepP50 ?? "-",
        "step p99": h.stepP99 ?? "-",
      })),
    );
    for (const h of hops) {
      const why = h.why ?? "no sample";
      results.set(`hop_${h.key}_p50_ms`, h.fromProposeP50, why);
      results.set(`hop_${h.key}_p99_ms`, h.fromProposeP99, why);
      results.set(`hop_${h.key}_step_p50_ms`, h.stepP50, why);
      results.set(`hop_${h.key}_step_p99_ms`, h.stepP99, why);
    }
    for (const h of hops.filter((h) => h.why !== undefined)) process.stdout.write(`${h.hop}: ${h.why}\n`);
    reportValidatorSteps(RATE, measured);

    await searchRate(bench);
    await sustain(bench);
  } finally {
    await bench.stop();
  }
}

async function benchListenerCpu(stack: Awaited<ReturnType<typeof startLocalStack>>): Promise<void> {
  progress(`listeners: ${LISTENER_CLIENTS} agents' decision listeners, ${LISTENER_DECISIONS} decisions, twice`);
  const rows = await benchListeners(stack, {
    clients: LISTENER_CLIENTS,
    decisions: LISTENER_DECISIONS,
    partitions: 12,
  });
  process.stdout.write(
    `\nDecision listeners: ${LISTENER_CLIENTS} agents' listeners in one process, ${LISTENER_DECISIONS} decisions for them over 12 partitions:\n`,
  );
  console.table(
    rows.map((r) => ({
      "each listener reads": r.mode,
      "CPU µs per decision (all listeners)": r.cpuMicrosPerDecision,
      "decodes per decision": r.decodesPerDecision,
    })),
  );
  const [before, after] = rows;
  results.set("listener_clients", LISTENER_CLIENTS);
  results.set("listener_cpu_us_per_decision_before", before?.cpuMicrosPerDecision);
  results.set("listener_cpu_us_per_decision_after", after?.cpuMicrosPerDecision);
  results.set("listener_decodes_per_decision_before", before?.decodesPerDecision);
  results.set("listener_decodes_per_decision_after", after?.decodesPerDecision);
}

async function benchScale(stack: Awaited<ReturnType<typeof startLocalStack>>): Promise<void> {
  const rows = await benchValidatorScale(stack, {
    counts: SCALE_COUNTS,
    backlog: SCALE_BACKLOG,
    rate: SCALE_RATE,
    seconds: SCALE_SECONDS,
    cpuProfileDir: CPU_PROFILE_DIR,
  });
  process.stdout.write(
    `\nScale-out: validator processes over 12 partitions, one broker, ${os.cpus().length} cores shared by all ` +
      `(validators, broker, load generator and reader); a backlog of ${SCALE_BACKLOG} actions, then ${SCALE_RATE}/s for ${SCALE_SECONDS} s:\n`,
  );
  console.table(
    rows.map((r) => ({
      validators: r.validators,
      "decided/s": r.decidedPerSecond,
      "offered/s": r.offeredPerSecond,
      [`p50 ms at ${SCALE_RATE}/s`]: r.p50Ms,
      [`p99 ms at ${SCALE_RATE}/s`]: r.p99Ms,
      "CPU ms/1k: validators": r.cpuPer1k.validators,
      "CPU ms/1k: broker": r.cpuPer1k.broker,
      "CPU ms/1k: load + reader": r.cpuPer1k.loadAndReader,
    })),
  );
  const one = rows.find((r) => r.validators === 1);
  for (const r of rows) {
    results.set(`validators_${r.validators}_actions_per_s`, r.decidedPerSecond);
    results.set(`validators_${r.validators}_offered_per_s`, r.offeredPerSecond);
    results.set(`validators_${r.validators}_${SCALE_RATE}_p50_ms`, r.p50Ms);
    results.set(`validators_${r.validators}_${SCALE_RATE}_p99_ms`, r.p99Ms);
    results.set(`validators_${r.validators}_cpu_ms_per_1k_validators`, r.cpuPer1k.validators);
    results.set(`validators_${r.validators}_cpu_ms_per_1k_broker`, r.cpuPer1k.broker);
    results.set(`validators_${r.validators}_cpu_ms_per_1k_load`, r.cpuPer1k.loadAndReader);
    if (one && r.validators > 1) {
      results.set(`validators_${r.validators}_speedup`, Number((r.decidedPerSecond / one.decidedPerSecond).toFixed(2)));
    }
  }
  results.set("cores", os.cpus().length);
}

/** The highest rate of SEARCH_RATES, tried in order, whose run kept p99 ≤ P99_LIMIT_MS with every verdict in time. */
async function searchRate(bench: PipelineBench): Promise<void> {
  if (SEARCH_SECONDS <= 0) {
    results.notMeasured("max_sustained_actions_per_s", "rate search skipped (MANDATE_BENCH_SEARCH_SECONDS=0)");
    return;
  }
  const rows = [];
  let sustained: number | undefined;
  for (const rate of SEARCH_RATES) {
    progress(`rate search: ${rate}/s for ${SEARCH_SECONDS} s`);
    await bench.drain();
    const run = await timedRun(bench, rate, SEARCH_SECONDS);
    const p99 = percentiles(run.latencies, [99]).p99!;
    // A generator that fell short did not offer the rate: that rate is not shown to be sustained.
    const held = run.timeouts === 0 && p99 <= P99_LIMIT_MS && run.offeredPerSecond >= rate * 0.95;
    rows.push({
      ...formatRow(`${rate}/s`, run.latencies),
      offered: Math.round(run.offeredPerSecond),
      timeouts: run.timeouts,
      held,
      "CPU ms/1k: validator": run.cpuPer1k.validator,
      "CPU ms/1k: broker": run.cpuPer1k.broker,
      "CPU ms/1k: agents + load": run.cpuPer1k.agentsAndLoad,
    });
    results.set(`rate_search_${rate}_p99_ms`, p99);
    results.set(`rate_search_${rate}_cpu_ms_per_1k_validator`, run.cpuPer1k.validator);
    results.set(`rate_search_${rate}_cpu_ms_per_1k_broker`, run.cpuPer1k.broker);
    results.set(`rate_search_${rate}_cpu_ms_per_1k_agents`, run.cpuPer1k.agentsAndLoad);
    if (!held) break;
    sustained = rate;
  }
  process.stdout.write(
    `\nRate search, one validator, ${SEARCH_SECONDS} s per rate (held: p99 ≤ ${P99_LIMIT_MS} ms, no timeout):\n`,
  );
  console.table(rows);
  if (sustained === undefined) {
    results.notMeasured("max_sustained_actions_per_s", `even ${SEARCH_RATES[0]}/s was not held`);
  } else {
    results.set("max_sustained_actions_per_s", sustained);
    if (sustained === SEARCH_RATES.at(-1)) {
      process.stdout.write(`every rate tried was held: the maximum is at least ${sustained}/s\n`);
    }
  }
}

async function sustain(bench: PipelineBench): Promise<void> {
  if (SUSTAIN_SECONDS <= 0) {
    const why = "sustained run skipped (MANDATE_BENCH_SUSTAIN_SECONDS=0)";
    for (const key of ["p50_ms", "p99_ms"]) results.notMeasured(`pipeline_${SUSTAINED_RATE}_${key}`, why);
    return;
  }
  progress(`pipeline: ${SUSTAINED_RATE}/s for ${SUSTAIN_SECONDS} s through one validator`);
  await bench.drain();
  const run = await timedRun(bench, SUSTAINED_RATE, SUSTAIN_SECONDS);
  const p = percentiles(run.latencies, [50, 99]);
  results.set(`pipeline_${SUSTAINED_RATE}_p50_ms`, p.p50);
  results.set(`pipeline_${SUSTAINED_RATE}_p99_ms`, p.p99);
  results.set(`pipeline_${SUSTAINED_RATE}_timeouts`, run.timeouts);
  results.set(`pipeline_${SUSTAINED_RATE}_offered_per_s`, run.offeredPerSecond);
  results.set(`pipeline_${SUSTAINED_RATE}_seconds`, SUSTAIN_SECONDS);
  process.stdout.write(`\nSustained ${SUSTAINED_RATE} actions/s for ${SUSTAIN_SECONDS} s, one validator:\n`);
  console.table([
    {
      ...formatRow("mandate pipeline", run.latencies),
      offered: Math.round(run.offeredPerSecond),
      timeouts: run.timeouts,
      "CPU ms/1k: validator": run.cpuPer1k.validator,
      "CPU ms/1k: broker": run.cpuPer1k.broker,
      "CPU ms/1k: agents + load": run.cpuPer1k.agentsAndLoad,
    },
  ]);
  reportValidatorSteps(SUSTAINED_RATE, run);
}

/**
 * The validator's own steps (validator-steps.ts) over a run's measured actions: where the hops the bench
 * cannot time from outside (its fetch, its commit) go. Keys `validator_<rate>_<step>_p50_ms`/`_p99_ms`.
 */
function reportValidatorSteps(rate: number, run: PipelineRun): void {
  process.stdout.write(
    `\nInside the validator at ${rate}/s, ms per action (its mandate_validator_step_seconds; interpolated in buckets that double from 0.1 ms):\n`,
  );
  console.table(
    run.validatorSteps.map((s) => ({
      step: STEP_MEANINGS[s.step],
      actions: s.actions,
      p50: s.p50Ms === undefined ? "-" : Number(s.p50Ms.toFixed(2)),
      p99: s.p99Ms === undefined ? "-" : Number(s.p99Ms.toFixed(2)),
    })),
  );
  for (const s of run.validatorSteps) {
    results.set(`validator_${rate}_${s.step}_p50_ms`, s.p50Ms, "no action counted");
    results.set(`validator_${rate}_${s.step}_p99_ms`, s.p99Ms, "no action counted");
  }
}

/** `seconds` at `rate`, the first tenth as warm-up. */
function timedRun(bench: PipelineBench, rate: number, seconds: number): Promise<PipelineRun> {
  const total = Math.round(rate * seconds);
  const warmup = Math.floor(total / 10);
  return bench.run(rate, total - warmup, warmup, { hops: false });
}

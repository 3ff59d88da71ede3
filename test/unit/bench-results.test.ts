import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BenchResults } from "../bench/bench-results.js";
import { hopFigures, type ActionTimeline } from "../bench/pipeline-hops.js";
import { histogramsSince, parseStepHistograms, stepFigures, stepPercentile } from "../bench/validator-steps.js";
import { ValidatorMetrics } from "@mandate/common/service-metrics";

describe("BenchResults", () => {
  it("writes one flat object: numbers, and null with a printed reason for what was not measured", () => {
    const results = new BenchResults();
    results.set("decision_p50_us", 41.23456);
    results.set("pipeline_2000_p99_ms", undefined, "sustained run skipped");
    results.notMeasured("validators_2_speedup", "needs separate processes");
    results.set("echo_plain_200_p50_ms", NaN);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-json-")), "bench.json");
    results.write(file);
    expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual({
      decision_p50_us: 41.235,
      pipeline_2000_p99_ms: null,
      validators_2_speedup: null,
      echo_plain_200_p50_ms: null,
    });
    expect(results.notMeasuredLines()).toEqual([
      "pipeline_2000_p99_ms: not measured (sustained run skipped)",
      "validators_2_speedup: not measured (needs separate processes)",
      "echo_plain_200_p50_ms: not measured (no sample)",
    ]);
  });

  it("refuses a key that is not snake_case", () => {
    expect(() => new BenchResults().set("Decision p50", 1)).toThrow(/snake_case/);
  });
});

describe("hopFigures", () => {
  it("times each point from propose and from the point before, per action; unseen points are null with why", () => {
    const timeline = (offset: number): ActionTimeline => ({
      proposed: 1000 + offset,
      acked: 1002 + offset,
      readable: 1003 + offset,
      decided: 1010 + offset,
      decisionProduced: 1011 + offset,
      decisionAppended: 1013 + offset,
      decisionReadable: 1020 + offset,
      received: 1021 + offset,
    });
    const figures = hopFigures([timeline(0), timeline(100), { proposed: 5000, acked: 5004 }]);
    const byKey = Object.fromEntries(figures.map((f) => [f.key, f]));
    expect(byKey.action_appended).toMatchObject({ n: 3, fromProposeP50: 2, fromProposeP99: 4, stepP99: 4 });
    expect(byKey.decided).toMatchObject({ n: 2, fromProposeP50: 10, stepP50: 7 });
    expect(byKey.decision_readable).toMatchObject({ fromProposeP50: 20, stepP50: 7 });
    expect(byKey.listener).toMatchObject({ fromProposeP99: 21, stepP99: 1 });
    expect(byKey.commit).toMatchObject({ n: 0, fromProposeP50: null, stepP50: null });
    expect(byKey.validator_fetch?.why).toMatch(/not timed per action/);
  });
});

describe("the validator's steps, read from its histogram", () => {
  const metrics = () => new ValidatorMetrics(() => ({ openSessions: 0, evictedSessions: 0, evictedValues: 0 }));
  const scrape = async (m: ValidatorMetrics) =>
    parseStepHistograms(await m.registry.getSingleMetricAsString("mandate_validator_step_seconds"));

  it("reads each step's percentiles inside its bucket, and only what a run added", async () => {
    const m = metrics();
    for (let i = 0; i < 100; i += 1) m.steps.observe({ step: "sent" }, 0.0015);
    const before = await scrape(m);
    const [, , sent] = stepFigures(before);
    expect(sent).toMatchObject({ step: "sent", actions: 100 });
    // All in (1, 2] ms: the 50th of 100 lies half-way in, the 99th near its top.
    expect(sent?.p50Ms).toBeCloseTo(1.5, 6);
    expect(sent?.p99Ms).toBeCloseTo(1.99, 6);

    for (let i = 0; i < 99; i += 1) m.steps.observe({ step: "sent" }, 0.0003);
    m.steps.observe({ step: "sent" }, 9);
    const run = stepFigures(histogramsSince(await scrape(m), before));
    expect(run[2]).toMatchObject({ actions: 100 });
    expect(run[2]?.p50Ms).toBeCloseTo(0.25 + (50 / 99) * 0.25, 6);
    // The 100th is past the last bound (5 s): reported as that bound, not invented.
    expect(stepPercentile(histogramsSince(await scrape(m), before).get("sent"), 100)).toBe(5000);
    expect(run[0]).toEqual({ step: "waited", actions: 0, p50Ms: undefined, p99Ms: undefined });
  });
});

/**
 * The validator's own account of where an action's time goes, from its histogram
 * `mandate_validator_step_seconds` (services/common/src/service-metrics.ts): per decided action, how long
 * it waited in its lane, and how long its batch took to be decided, sent and committed. The bench scrapes
 * /metrics before and after a run and reads the run's share: the two hops the bench cannot time from
 * outside (the validator's fetch and its commit) lie inside these steps.
 */

const METRIC = "mandate_validator_step_seconds";
export const VALIDATOR_STEPS = ["waited", "decided", "sent", "committed"] as const;
export type ValidatorStep = (typeof VALIDATOR_STEPS)[number];

/** Per step, cumulative bucket counts by upper bound in seconds (+Inf included). */
export type StepHistograms = Map<string, Map<number, number>>;

/** The step histograms of a Prometheus text exposition (other metrics ignored). */
export function parseStepHistograms(text: string): StepHistograms {
  const histograms: StepHistograms = new Map();
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${METRIC}_bucket{`)) continue;
    const labels = line.slice(line.indexOf("{") + 1, line.indexOf("}"));
    const le = /le="([^"]+)"/.exec(labels)?.[1];
    const step = /step="([^"]+)"/.exec(labels)?.[1];
    const count = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (le === undefined || step === undefined || !Number.isFinite(count)) continue;
    let buckets = histograms.get(step);
    if (buckets === undefined) histograms.set(step, (buckets = new Map()));
    buckets.set(le === "+Inf" ? Infinity : Number(le), count);
  }
  return histograms;
}

/** What `after` counted since `before` (a scrape of the same process, earlier). */
export function histogramsSince(after: StepHistograms, before: StepHistograms): StepHistograms {
  const since: StepHistograms = new Map();
  for (const [step, buckets] of after) {
    const earlier = before.get(step);
    since.set(step, new Map([...buckets].map(([le, count]) => [le, count - (earlier?.get(le) ?? 0)])));
  }
  return since;
}

/**
 * The q-th percentile (0–100) of one step in milliseconds, interpolated linearly inside its bucket (the
 * buckets double from 0.25 ms, so a figure is good to about half its bucket's width); `undefined` with no
 * observations. One past the last finite bound is reported as that bound.
 */
export function stepPercentile(buckets: Map<number, number> | undefined, q: number): number | undefined {
  if (buckets === undefined) return undefined;
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const total = buckets.get(Infinity) ?? 0;
  if (total <= 0) return undefined;
  const rank = (q / 100) * total;
  let lower = 0;
  let below = 0;
  for (const bound of bounds) {
    const count = buckets.get(bound) as number;
    if (count >= rank) {
      if (bound === Infinity) return lower * 1000;
      const share = count === below ? 0 : (rank - below) / (count - below);
      return (lower + share * (bound - lower)) * 1000;
    }
    lower = bound;
    below = count;
  }
  return lower * 1000;
}

export interface StepFigure {
  step: ValidatorStep;
  actions: number;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
}

/** p50 and p99 of each step over the actions `histograms` counted. */
export function stepFigures(histograms: StepHistograms): StepFigure[] {
  return VALIDATOR_STEPS.map((step) => {
    const buckets = histograms.get(step);
    return {
      step,
      actions: buckets?.get(Infinity) ?? 0,
      p50Ms: stepPercentile(buckets, 50),
      p99Ms: stepPercentile(buckets, 99),
    };
  });
}

/** Scrapes a validator's /metrics for its step histograms. */
export async function scrapeSteps(metricsUrl: string): Promise<StepHistograms> {
  const response = await fetch(metricsUrl);
  if (!response.ok) throw new Error(`${metricsUrl} answered ${response.status}`);
  return parseStepHistograms(await response.text());
}

/** Percentiles of a sample, nearest-rank. */
export function percentiles(samples: number[], ps: number[] = [50, 90, 99, 99.9]): Record<string, number> {
  const sorted = [...samples].sort((a, b) => a - b);
  const out: Record<string, number> = {};
  for (const p of ps) {
    const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    out[`p${p}`] = sorted[rank] ?? NaN;
  }
  return out;
}

export function formatRow(name: string, samples: number[], unit = "ms"): Record<string, string | number> {
  const p = percentiles(samples);
  return {
    name,
    n: samples.length,
    ...Object.fromEntries(Object.entries(p).map(([k, v]) => [`${k} ${unit}`, Number(v.toFixed(3))])),
  };
}

/** One table row of in-process timings in microseconds: count and percentiles to 0.1 µs. */
export function microsecondRow(measure: string, samples: ArrayLike<number>): Record<string, string | number> {
  const p = percentiles(Array.from(samples));
  return {
    measure,
    n: samples.length,
    p50: Number(p.p50!.toFixed(1)),
    p90: Number(p.p90!.toFixed(1)),
    p99: Number(p.p99!.toFixed(1)),
    "p99.9": Number(p["p99.9"]!.toFixed(1)),
  };
}

/** Open-loop load: `fire` is called at a fixed rate regardless of how long earlier calls take. */
export async function atFixedRate(
  ratePerSecond: number,
  count: number,
  fire: (i: number) => Promise<void>,
): Promise<void> {
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i += 1) {
    const due = started + (i * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(fire(i));
  }
  await Promise.all(pending);
}

import fs from "node:fs";

/** A figure, or null where it was not measured in this run (never a number standing in for one). */
export type BenchFigure = number | null;

/**
 * The run's figures as one flat JSON object (`MANDATE_BENCH_JSON=<file>`), for comparing runs by
 * machine. Keys are snake_case with their unit last (`_us`, `_ms`, `_per_s`, or none for a ratio);
 * the README's benchmark section lists them. What was not measured is null; why is printed with the
 * run's output, not written (the object stays flat: every value a number or null).
 */
export class BenchResults {
  private readonly figures: Record<string, BenchFigure> = {};
  private readonly reasons: Record<string, string> = {};

  set(key: string, value: number | null | undefined, ifMissing = "no sample"): void {
    if (!/^[a-z0-9_]+$/.test(key)) throw new Error(`bench key ${key} is not snake_case`);
    if (value === null || value === undefined || !Number.isFinite(value)) {
      this.notMeasured(key, ifMissing);
      return;
    }
    this.figures[key] = Number(value.toFixed(3));
    delete this.reasons[key];
  }

  notMeasured(key: string, why: string): void {
    this.figures[key] = null;
    this.reasons[key] = why;
  }

  get(key: string): BenchFigure | undefined {
    return this.figures[key];
  }

  /** One line per figure that is null, with why. */
  notMeasuredLines(): string[] {
    return Object.entries(this.reasons).map(([key, why]) => `${key}: not measured (${why})`);
  }

  toJSON(): Record<string, BenchFigure> {
    return { ...this.figures };
  }

  write(file: string): void {
    fs.writeFileSync(file, `${JSON.stringify(this.toJSON(), null, 2)}\n`);
  }
}

import type { DriftThresholds } from "./drift-thresholds.js";

const RATE_WINDOW_SECONDS = 60;

type RateThresholds = Pick<
  DriftThresholds,
  "rateSmoothing" | "spikeFactor" | "spikeMinimumPerMinute" | "baselineActiveMinutes"
>;

/** The rate above which the last 60 s count as a spike for an agent whose typical rate is `typicalPerMinute`. */
export function spikeThreshold(typicalPerMinute: number, thresholds: RateThresholds): number {
  return Math.max(thresholds.spikeMinimumPerMinute, thresholds.spikeFactor * typicalPerMinute);
}

/** Everything a `ProposalRate` holds; plain numbers so it can travel as JSON. */
export interface ProposalRateSnapshot {
  /** Latest epoch second counted; null before the first proposal. */
  latestSecond: number | null;
  /** Proposals per second of the last 60 s, indexed by epoch second modulo 60. */
  buckets: number[];
  /** Epoch minute whose proposals `minuteCount` holds; null before the first proposal. */
  minute: number | null;
  minuteCount: number;
  typicalPerMinute: number;
  /** Completed minutes with at least one proposal folded into `typicalPerMinute`. */
  activeMinutes: number;
}

/**
 * One agent's proposal rate: a sliding 60 s count in per-second buckets, and its typical rate per
 * active minute. Time comes only from the `now` of each proposal, so a replay of the same
 * proposals gives the same rates.
 */
export class ProposalRate {
  private readonly buckets = new Uint32Array(RATE_WINDOW_SECONDS);
  private total = 0;
  private latestSecond = Number.NEGATIVE_INFINITY;
  private minute = Number.NEGATIVE_INFINITY;
  private minuteCount = 0;
  private typical = 0;
  private active = 0;

  constructor(private readonly thresholds: RateThresholds) {}

  get typicalPerMinute(): number {
    return this.typical;
  }

  get activeMinutes(): number {
    return this.active;
  }

  /** Counts one proposal at `now` (epoch ms); returns the proposals of the last 60 s including it. */
  observe(now: number): number {
    const second = Math.floor(now / 1000);
    // NOTE: a timestamp older than the latest one (a clock stepping back, a late message) is
    // counted in the latest second: the window never moves backwards, so no count is expired twice.
    if (second > this.latestSecond) this.advanceTo(second);
    const minute = Math.floor(this.latestSecond / 60);
    if (minute > this.minute) {
      if (this.minuteCount > 0) this.foldMinute(this.minuteCount);
      this.minute = minute;
      this.minuteCount = 0;
    }
    this.minuteCount++;
    this.buckets[this.latestSecond % RATE_WINDOW_SECONDS]!++;
    return ++this.total;
  }

  snapshot(): ProposalRateSnapshot {
    const started = Number.isFinite(this.latestSecond);
    return {
      latestSecond: started ? this.latestSecond : null,
      buckets: Array.from(this.buckets),
      minute: started ? this.minute : null,
      minuteCount: this.minuteCount,
      typicalPerMinute: this.typical,
      activeMinutes: this.active,
    };
  }

  static restore(snapshot: ProposalRateSnapshot, thresholds: RateThresholds): ProposalRate {
    const rate = new ProposalRate(thresholds);
    snapshot.buckets.slice(0, RATE_WINDOW_SECONDS).forEach((count, index) => {
      rate.buckets[index] = count;
      rate.total += count;
    });
    rate.latestSecond = snapshot.latestSecond ?? Number.NEGATIVE_INFINITY;
    rate.minute = snapshot.minute ?? Number.NEGATIVE_INFINITY;
    rate.minuteCount = snapshot.minuteCount;
    rate.typical = snapshot.typicalPerMinute;
    rate.active = snapshot.activeMinutes;
    return rate;
  }

  private advanceTo(second: number): void {
    if (second - this.latestSecond >= RATE_WINDOW_SECONDS) {
      this.buckets.fill(0);
      this.total = 0;
    } else {
      for (let s = this.latestSecond + 1; s <= second; s++) {
        const index = s % RATE_WINDOW_SECONDS;
        this.total -= this.buckets[index]!;
        this.buckets[index] = 0;
      }
    }
    this.latestSecond = second;
  }

  /**
   * A minute that was itself a spike counts only up to the spike threshold, so one burst does not
   * teach the agent that bursts are normal; a steady rise still raises the typical rate.
   */
  private foldMinute(count: number): void {
    const sample =
      this.active >= this.thresholds.baselineActiveMinutes
        ? Math.min(count, spikeThreshold(this.typical, this.thresholds))
        : count;
    this.active++;
    const weight = Math.max(1 / this.active, this.thresholds.rateSmoothing);
    this.typical += weight * (sample - this.typical);
  }
}

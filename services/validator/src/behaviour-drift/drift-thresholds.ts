import { z } from "zod";

const unit = z.number().min(0).max(1);

/**
 * Thresholds and weights of the drift axis. They are configuration, versioned with the policy
 * elsewhere; a verdict is only replayable against the thresholds it was decided with.
 */
export const driftThresholdsSchema = z.object({
  /**
   * Approved actions an agent needs before its tools, destinations, values and centroid count as
   * a baseline. Below it the agent is in cold start: everything it does is new, so none of those
   * four signals fires (scope and alignment still judge every action).
   */
  baselineApproved: z.number().int().min(1).default(20),
  /** Active minutes (minutes with at least one proposal) the typical rate needs before a spike can be called. */
  baselineActiveMinutes: z.number().int().min(1).default(5),
  /** `drift.volume_spike` when the last 60 s hold more than this many times the typical per-minute rate… */
  spikeFactor: z.number().min(1).default(4),
  /** …and more than this many proposals: 3 against a typical 0.5 is not a spike worth a human. */
  spikeMinimumPerMinute: z.number().int().min(1).default(10),
  /**
   * Weight of each new active minute in the typical rate (an EWMA over active minutes; the first
   * 1/x minutes are a plain mean). Idle minutes are skipped, so an agent that works in bursts is
   * compared with its bursts, not with its nights.
   */
  rateSmoothing: unit.default(0.1),
  /**
   * Weight of each new approved action in the centroid (an EWMA of action vectors; the first
   * 1/x actions are a plain mean), so the centroid follows roughly the last 1/x approved actions.
   */
  centroidSmoothing: unit.default(1 / 64),
  /**
   * `drift.far_from_centroid` above this cosine distance (1 − cosine). On the hand-written eval
   * corpus the distance of a legitimate action from its agent's other legitimate actions has
   * median 0.24, 95th percentile 0.48, 98th 0.55; misaligned actions of the same agents sit no
   * farther (median 0.24), so this is a weak signal for the tail of unusual actions, not a detector
   * of misuse on its own.
   */
  farDistance: z.number().min(0).lt(1).default(0.55),
  /** How much each signal adds to the score at full strength (see `assessDrift`). */
  weights: z
    .object({
      newTool: unit.default(0.5),
      newDestination: unit.default(0.5),
      /** Low: alignment already flags values nothing explains; drift only notes that the agent has not used them. */
      newRecipient: unit.default(0.15),
      volumeSpike: unit.default(0.6),
      farFromCentroid: unit.default(0.4),
    })
    .prefault({}),
});

export type DriftThresholds = z.infer<typeof driftThresholdsSchema>;
/** What configuration may give: any field left out takes its default. */
export type DriftThresholdsInput = z.input<typeof driftThresholdsSchema>;

/** Parses once, reporting every problem together (zod collects them). */
export function parseDriftThresholds(input: unknown): DriftThresholds {
  return driftThresholdsSchema.parse(input);
}

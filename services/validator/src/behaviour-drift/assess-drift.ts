import type { Reason, Severity } from "@mandate/contracts";
import type { AgentBehaviour } from "./agent-behaviour.js";
import type { DriftAssessment, DriftInput } from "./behaviour-store.js";
import type { DriftThresholds } from "./drift-thresholds.js";
import { spikeThreshold } from "./proposal-rate.js";

export const DRIFT_REASON_CODES = {
  newTool: "drift.new_tool",
  newDestination: "drift.new_destination",
  newRecipient: "drift.new_recipient",
  volumeSpike: "drift.volume_spike",
  farFromCentroid: "drift.far_from_centroid",
} as const;

/** Values named in one `drift.new_recipient` message; the count says how many more there were. */
const NAMED_VALUES = 3;
const QUOTED_CHARS = 80;

const quoted = (value: string): string =>
  JSON.stringify(value.length > QUOTED_CHARS ? `${value.slice(0, QUOTED_CHARS)}…` : value);

function driftReason(code: string, severity: Severity, message: string): Reason {
  return { axis: "drift", code, severity, message };
}

/**
 * Each signal that fires has a strength s in (0, 1] and a weight w from the thresholds; the score
 * is 1 − Π(1 − w·s), a noisy-OR: one signal alone scores its weighted strength, every further
 * signal moves the score towards 1 without ever passing it, and the order does not matter.
 * New tool, destination and recipient are all-or-nothing (s = 1). A volume spike or a distance
 * from the centroid has s = 0.5 at its threshold, rising linearly to 1 at twice the spike
 * threshold or at cosine distance 1 (orthogonal to everything approved).
 *
 * `destination` is the action's destination in `destinationKey` form. An agent the store does not
 * hold, or one still without a baseline, scores 0: a new agent's every action is new.
 */
export function assessDrift(
  agent: AgentBehaviour | undefined,
  input: DriftInput,
  destination: string | null,
  ratePerMinute: number,
  thresholds: DriftThresholds,
): DriftAssessment {
  const reasons: Reason[] = [];
  if (agent === undefined) return { score: 0, reasons, ratePerMinute };
  const { weights } = thresholds;
  let unmoved = 1;

  if (agent.approvedCount >= thresholds.baselineApproved) {
    const { tool } = input.action;
    if (!agent.tools.has(tool)) {
      // A tool the registration names is permitted; its first use is information, and the other axes
      // judge what it is used for. Only a tool the registration does not name moves the score.
      if (!input.registeredTool) unmoved *= 1 - weights.newTool;
      reasons.push(
        driftReason(
          DRIFT_REASON_CODES.newTool,
          input.registeredTool ? "info" : "suspicious",
          `tool ${quoted(tool)} is not among the tools of this agent's ${agent.approvedCount} approved or reviewed actions`,
        ),
      );
    }
    if (destination !== null && !agent.destinations.has(destination)) {
      unmoved *= 1 - weights.newDestination;
      reasons.push(
        driftReason(
          DRIFT_REASON_CODES.newDestination,
          "suspicious",
          `destination ${quoted(destination)} is not among the destinations of this agent's approved actions`,
        ),
      );
    }
    let newValues: string[] | null = null;
    for (const value of input.intentValues) {
      // The destination is judged above against the destinations; counting it here would report it twice.
      if (value === destination || agent.values.has(value) || newValues?.includes(value)) continue;
      (newValues ??= []).push(value);
    }
    if (newValues !== null) {
      unmoved *= 1 - weights.newRecipient;
      const named = newValues.slice(0, NAMED_VALUES).map(quoted).join(", ");
      const more = newValues.length > NAMED_VALUES ? ` and ${newValues.length - NAMED_VALUES} more` : "";
      reasons.push(
        driftReason(
          DRIFT_REASON_CODES.newRecipient,
          "info",
          `${named}${more} not seen in this agent's recent approved actions`,
        ),
      );
    }
  }

  if (agent.rate.activeMinutes >= thresholds.baselineActiveMinutes) {
    const typical = agent.rate.typicalPerMinute;
    const limit = spikeThreshold(typical, thresholds);
    if (ratePerMinute > limit) {
      unmoved *= 1 - weights.volumeSpike * Math.min(1, ratePerMinute / (2 * limit));
      reasons.push(
        driftReason(
          DRIFT_REASON_CODES.volumeSpike,
          "suspicious",
          `${ratePerMinute} proposals in the last minute against a typical ${typical.toFixed(1)} per active minute (spike above ${limit.toFixed(1)})`,
        ),
      );
    }
  }

  if (agent.centroid.samples >= thresholds.baselineApproved) {
    const distance = agent.centroid.distance(input.actionVector);
    const far = thresholds.farDistance;
    if (distance !== null && distance > far) {
      unmoved *= 1 - weights.farFromCentroid * (0.5 + 0.5 * Math.min(1, (distance - far) / (1 - far)));
      reasons.push(
        driftReason(
          DRIFT_REASON_CODES.farFromCentroid,
          "suspicious",
          `action is at cosine distance ${distance.toFixed(3)} from this agent's approved actions (threshold ${far})`,
        ),
      );
    }
  }

  return { score: 1 - unmoved, reasons, ratePerMinute };
}

import type { Reason, Verdict } from "@mandate/contracts";
import type { PolicyOutcome } from "./scope-policy/index.js";

/** What the axes said about one action, as the verdict function reads it. */
export interface AxisFindings {
  identityOk: boolean;
  scopeOutcome: PolicyOutcome;
  payloadReasons: readonly Reason[];
  alignmentReasons: readonly Reason[];
  /** Where the action's values came from in its session (see provenance/assess-provenance.ts). */
  provenanceReasons: readonly Reason[];
  driftScore: number;
}

/**
 * The verdict, as a documented function of the axes (thresholds come with the policy version):
 *
 * 1. rejected — identity fails (unknown, retired or unverifiable agent); scope forbids; a payload
 *    finding is critical; alignment is critical (very low fit); provenance is critical (a value whose
 *    only source is output carrying injected instructions, or a tool chosen by such output, in an
 *    action that sends, pays, shares, grants or otherwise changes something).
 * 2. flagged — scope routes to review; a payload finding is suspicious; an alignment reason is
 *    suspicious (low fit, an unexplained recipient or account, close to a counter-example); a
 *    provenance reason is suspicious (the same, in an action that only reads);
 *    drift reaches `driftFlagScore`.
 * 3. approved — none of the above. Out of scope is therefore never approved.
 *
 * `info` reasons explain but never change the verdict.
 */
export function decideVerdict(axes: AxisFindings, driftFlagScore: number): Verdict {
  const worst = (reasons: readonly Reason[]) =>
    reasons.some((r) => r.severity === "critical") ? 2 : reasons.some((r) => r.severity === "suspicious") ? 1 : 0;
  const payload = worst(axes.payloadReasons);
  const alignment = worst(axes.alignmentReasons);
  const provenance = worst(axes.provenanceReasons);
  if (!axes.identityOk || axes.scopeOutcome === "forbid" || payload === 2 || alignment === 2 || provenance === 2) {
    return "rejected";
  }
  if (
    axes.scopeOutcome === "review" ||
    payload === 1 ||
    alignment === 1 ||
    provenance === 1 ||
    axes.driftScore >= driftFlagScore
  ) {
    return "flagged";
  }
  return "approved";
}

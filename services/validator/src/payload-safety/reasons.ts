import type { Reason, Severity } from "@mandate/contracts";
import type { PayloadFinding } from "./finding.js";

const SEVERITY_RANK: Record<Severity, number> = { info: 0, suspicious: 1, critical: 2 };
/** Paths come from argument keys; a pathological key should not make a reason unreadable. */
const MAX_PATH_LENGTH = 120;
const TRAILING_PERIOD = /\.$/;

/** One reason per code, most severe first: a payload with forty card numbers is one reason, not forty. */
export function toReasons(findings: readonly PayloadFinding[]): Reason[] {
  const groups = new Map<string, { first: PayloadFinding; severity: Severity; count: number }>();
  for (const finding of findings) {
    const group = groups.get(finding.code);
    if (group === undefined) {
      groups.set(finding.code, { first: finding, severity: finding.severity, count: 1 });
      continue;
    }
    group.count++;
    if (SEVERITY_RANK[finding.severity] > SEVERITY_RANK[group.severity]) group.severity = finding.severity;
  }
  return [...groups.values()]
    .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity])
    .map(({ first, severity, count }) => {
      const where = first.path.length > MAX_PATH_LENGTH ? `${first.path.slice(0, MAX_PATH_LENGTH)}…` : first.path;
      const message = first.message.replace(TRAILING_PERIOD, "");
      return {
        axis: "payload",
        code: first.code,
        severity,
        message: count === 1 ? `${message} (at ${where}).` : `${message} (at ${where} and ${count - 1} more).`,
      };
    });
}

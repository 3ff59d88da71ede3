import type { ProposedAction } from "../../../common/src/action.js";
import type { PayloadFinding } from "../payload-safety/index.js";

/**
 * A credential the user typed into the session task ("log me in as jane, password hunter2"), passed
 * to a tool with no outside destination, or to one the registration names, goes where its owner sent
 * it: the finding stays (the trail still redacts the secret) but only informs. The same secret on
 * its way to any other destination is still judged as the payload axis judged it.
 */
export function explainTaskSecrets(
  findings: readonly PayloadFinding[],
  action: ProposedAction,
  destinationInScope: boolean,
): PayloadFinding[] {
  const task = action.session_task;
  if (!task || (action.destination !== null && !destinationInScope)) return [...findings];
  return findings.map((finding) =>
    finding.secret !== undefined && finding.severity !== "info" && task.includes(finding.secret.value)
      ? { ...finding, severity: "info", message: `${finding.message} (given by the session task to this tool)` }
      : finding,
  );
}

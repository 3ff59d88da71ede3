import type { ProposedAction } from "@mandate/contracts";
import type { PayloadFinding } from "../payload-safety/index.js";
import type { SessionState } from "./session-provenance.js";

/**
 * A credential the session came by legitimately, passed to a tool with no outside destination or to
 * one the registration names, goes where its owner meant it to: the user typed it into the session
 * task ("log me in as jane, password hunter2"), or one of the session's tools returned it in output
 * that carried no injected instructions (a login's session token, used by the next call). The finding
 * stays, so the trail still redacts the secret, but it only informs. The same secret on its way to any
 * other destination is still judged as the payload axis judged it.
 */
export function explainSessionSecrets(
  findings: readonly PayloadFinding[],
  action: ProposedAction,
  destinationInScope: boolean,
  session: SessionState | undefined,
): PayloadFinding[] {
  if (action.destination !== null && !destinationInScope) return [...findings];
  const task = action.session_task ?? "";
  return findings.map((finding) => {
    if (finding.secret === undefined || finding.severity === "info") return finding;
    const { value } = finding.secret;
    const from = task.includes(value)
      ? "the session task"
      : (session?.values.get(value.toLowerCase())?.cleanTool ?? null);
    if (from === null) return finding;
    return {
      ...finding,
      severity: "info",
      message: `${finding.message} (given by ${from === "the session task" ? from : `the output of ${from}`}, to a tool with no outside destination)`,
    };
  });
}

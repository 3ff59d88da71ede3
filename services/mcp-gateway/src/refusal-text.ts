import type { DecisionRecord, Reason } from "@mandate/contracts";

/**
 * The words an MCP client's model reads when its call did not run: what happened, each reason that
 * weighed (the validator's sentence and its code, so a person can look it up), and what the model can
 * do about it. Info reasons are left out: they say what was fine.
 */
export function refusalText(decision: DecisionRecord, tool: string): string {
  const why = reasonLines(decision.reasons) || "- no reason given";
  if (decision.verdict === "flagged") {
    return (
      `Mandate held the call to ${tool} for human review; it did not run.\n${why}\n` +
      "Do not retry it unchanged: ask the user, or continue without it."
    );
  }
  const reviewer = decision.reviewer
    ? ` (reviewer ${decision.reviewer}: ${decision.review_comment ?? "no comment"})`
    : "";
  return (
    `Mandate rejected the call to ${tool}; it did not run${reviewer}.\n${why}\n` +
    "Do not retry it unchanged: it is outside what this agent may do."
  );
}

/** A flagged call nobody approved within the gateway's review deadline. */
export function reviewTimeoutText(decision: DecisionRecord, tool: string, waitedMs: number): string {
  const why = reasonLines(decision.reasons);
  return (
    `Mandate held the call to ${tool} for human review and it was not approved within ${seconds(waitedMs)}; ` +
    `it did not run and will not run.${why ? `\n${why}` : ""}`
  );
}

/** One line per reason that weighed (info reasons say what was fine), the gravest first; "" when none did. */
function reasonLines(reasons: readonly Reason[]): string {
  const order = { critical: 0, suspicious: 1, info: 2 } as const;
  return reasons
    .filter((r) => r.severity !== "info")
    .sort((a, b) => order[a.severity] - order[b.severity])
    .map((r) => `- ${r.message} (${r.code})`)
    .join("\n");
}

export function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

import type { DecisionRecord, Reason } from "../../common/src/decision.js";

/**
 * The words an MCP client's model reads when its call did not run: what happened, each reason that
 * weighed (the validator's sentence and its code, so a person can look it up), and what the model can
 * do about it. Info reasons are left out: they say what was fine.
 */
export function refusalText(decision: DecisionRecord, tool: string): string {
  const weighed = weighingReasons(decision.reasons);
  const why = weighed.length > 0 ? weighed.map((r) => `- ${r.message} (${r.code})`).join("\n") : "- no reason given";
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
  const why = weighingReasons(decision.reasons)
    .map((r) => `- ${r.message} (${r.code})`)
    .join("\n");
  return (
    `Mandate held the call to ${tool} for human review and it was not approved within ${seconds(waitedMs)}; ` +
    `it did not run and will not run.${why ? `\n${why}` : ""}`
  );
}

function weighingReasons(reasons: readonly Reason[]): Reason[] {
  const order = { critical: 0, suspicious: 1, info: 2 } as const;
  return reasons.filter((r) => r.severity !== "info").sort((a, b) => order[a.severity] - order[b.severity]);
}

export function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

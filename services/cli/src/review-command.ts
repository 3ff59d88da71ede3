import crypto from "node:crypto";
import { REVIEWER_ROLES, tokenSha256, type ReviewerRole } from "@mandate/review/reviewer-tokens";
import { reviewClientConfigFromEnv, type ReviewClientConfig } from "./review-config.js";
import { formatResult } from "./trail-command.js";
import { parseFlags, parseSubcommand } from "./cli-flags.js";
import { UsageError } from "./usage-error.js";

function usage(): string {
  return `usage: mandate review list [--all] [--format table|json]
       mandate review show <decision_id> [--format text|json]
       mandate review approve <decision_id> --comment "why" [--format text|json]   (-m "why" for short)
       mandate review reject <decision_id> --comment "why" [--format text|json]
       mandate review token <name> [--role reviewer|viewer]

list     the flagged actions waiting for a reviewer, the nearest deadline first (--all: also those
         decided recently)
show     one flagged action: what it would do (arguments with secrets redacted), why it was flagged
approve  publish a signed approval that supersedes the flag: the waiting executor runs the action
reject   publish a signed rejection that supersedes the flag: the action never runs
         A comment is required; the decision records it and who decided (the token's name).
token    make a token: the tokens-file entry (its SHA-256, never the token) goes to stdout, the token
         itself to stderr, once. Append stdout to the file the service reads (MANDATE_REVIEW_TOKENS_FILE).

The review service: MANDATE_REVIEW_URL (default http://127.0.0.1:8088); your token: MANDATE_REVIEW_TOKEN.`;
}

type Request =
  | { kind: "list"; all: boolean; format: "table" | "json" }
  | { kind: "show"; id: string; format: "text" | "json" }
  | { kind: "decide"; id: string; verdict: "approve" | "reject"; comment: string; format: "text" | "json" }
  | { kind: "token"; name: string; role: ReviewerRole };

/** `mandate review list|show|approve|reject|token`: a client of the review service's API. */
export async function reviewCommand(args: string[]): Promise<void> {
  const request = parseArguments(args);
  if (request.kind === "token") return printToken(request.name, request.role);
  const config = reviewClientConfigFromEnv();
  if (request.kind === "list") {
    const { reviews } = (await call(config, "GET", `/reviews?status=${request.all ? "all" : "open"}`)) as {
      reviews: ReviewSummary[];
    };
    if (request.format === "json")
      return void process.stdout.write(formatResult({ columns: [], rows: reviews }, "json"));
    const columns = [
      { name: "decision_id", type: "String" },
      { name: "status", type: "String" },
      { name: "agent_id", type: "String" },
      { name: "tool", type: "String" },
      { name: "destination", type: "String" },
      { name: "reason_codes", type: "String" },
      { name: "deadline", type: "String" },
      { name: "seconds_left", type: "UInt32" },
      { name: "decided_by", type: "String" },
    ];
    const rows = reviews.map((r) =>
      Object.fromEntries(
        Object.entries({ ...r, reason_codes: r.reason_codes.join(" ") }).map(([k, v]) => [
          k,
          typeof v === "string" ? printable(v) : v,
        ]),
      ),
    );
    process.stdout.write(formatResult({ columns, rows }, "table"));
    return;
  }
  if (request.kind === "show") {
    const { review } = (await call(config, "GET", `/reviews/${encodeURIComponent(request.id)}`)) as {
      review: ReviewDetail;
    };
    process.stdout.write(request.format === "json" ? `${JSON.stringify(review, null, 2)}\n` : describeReview(review));
    return;
  }
  const answer = (await call(config, "POST", `/reviews/${encodeURIComponent(request.id)}/${request.verdict}`, {
    comment: request.comment,
  })) as {
    decision: { decision_id: string; verdict: string; reviewer: string } | null;
    awaiting?: string;
  };
  if (request.format === "json") return void process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
  const { decision } = answer;
  if (decision === null) {
    // A two-person tool: this approval is recorded, and the flag waits for a different reviewer's.
    process.stdout.write(`approval recorded for flag ${request.id}; it needs a second reviewer's approval to run\n`);
    return;
  }
  process.stdout.write(
    `${decision.verdict} by ${decision.reviewer}: decision ${decision.decision_id} supersedes flag ${request.id}\n`,
  );
}

function parseArguments(args: string[]): Request {
  const [sub, rest] = parseSubcommand("review", args, ["list", "show", "approve", "reject", "token"], usage());
  if (sub === "list") {
    const flags = parseFlags(rest, { format: "value", all: "switch" }, usage());
    if (flags.positional.length > 0) throw new UsageError(`review list takes no argument ${flags.positional[0]}`);
    return { kind: "list", all: flags.has("all"), format: flags.choice("format", ["table", "json"]) };
  }
  if (sub === "token") {
    const flags = parseFlags(rest, { role: "value" }, usage());
    if (flags.positional.length !== 1) throw new UsageError(`review token needs one name\n\n${usage()}`);
    return { kind: "token", name: flags.positional[0] as string, role: flags.choice("role", REVIEWER_ROLES) };
  }
  if (sub === "show") {
    const flags = parseFlags(rest, { format: "value" }, usage());
    return { kind: "show", id: decisionId(sub, flags.positional), format: flags.choice("format", ["text", "json"]) };
  }
  const flags = parseFlags(rest, { format: "value", comment: { kind: "value", short: "m" } }, usage());
  const id = decisionId(sub, flags.positional);
  const format = flags.choice("format", ["text", "json"]);
  const comment = flags.value("comment");
  if (comment === undefined || comment.trim() === "") {
    throw new UsageError(`review ${sub} needs --comment "why": every decision records who decided and why`);
  }
  return { kind: "decide", id, verdict: sub, comment, format };
}

function decisionId(sub: string, positional: readonly string[]): string {
  if (positional.length !== 1) throw new UsageError(`review ${sub} needs one decision id\n\n${usage()}`);
  return positional[0] as string;
}

/** One request to the review API; an error answer becomes an error with the service's message. */
async function call(config: ReviewClientConfig, method: string, path: string, body?: unknown): Promise<unknown> {
  const url = new URL(path, config.url.endsWith("/") ? config.url : `${config.url}/`);
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${config.token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new Error(
      `cannot reach the review service at ${config.url} (MANDATE_REVIEW_URL): ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    throw new Error(`the review service answered HTTP ${response.status} with no JSON: ${text.slice(0, 200)}`);
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } }).error;
    throw new Error(`${error?.message ?? "request refused"} (HTTP ${response.status} ${error?.code ?? ""})`.trimEnd());
  }
  return parsed;
}

/** The entry for the tokens file on stdout; the token itself on stderr, so `>> reviewers.yaml` keeps it out of the file. */
function printToken(name: string, role: ReviewerRole): void {
  const token = crypto.randomBytes(32).toString("base64url");
  process.stderr.write(`token for ${name} (shown once; the file keeps only its SHA-256): ${token}\n`);
  process.stdout.write(`- name: ${JSON.stringify(name)}\n  role: ${role}\n  token_sha256: ${tokenSha256(token)}\n`);
}

/** A type, not an interface: rows for the shared formatter are plain records. */
type ReviewSummary = {
  decision_id: string;
  status: string;
  agent_id: string;
  action_id: string;
  tool: string;
  operation: string;
  destination: string | null;
  reason_codes: string[];
  flagged_at: string;
  deadline: string;
  seconds_left: number | null;
  decided_by: string | null;
};

type ReviewDetail = ReviewSummary & {
  session_task: string | null;
  resource: string | null;
  intent: string | null;
  arguments_json: string;
  reasons: Array<{ axis: string; code: string; message: string; severity: string }>;
  scores: Record<string, number>;
  validator_id: string;
  decision: {
    decision_id: string;
    verdict: string;
    reviewer: string | null;
    comment: string | null;
    reason_code: string | null;
    decided_at: string;
  } | null;
};

function describeReview(review: ReviewDetail): string {
  const line = (label: string, value: unknown) =>
    value === null || value === undefined || value === ""
      ? []
      : [`${`${label}:`.padEnd(14)}${printable(String(value))}`];
  const lines = [
    ...line("flag", review.decision_id),
    ...line("status", review.status),
    ...line("agent", review.agent_id),
    ...line("action", review.action_id),
    ...line("tool", `${review.tool}${review.operation ? ` (${review.operation})` : ""}`),
    ...line("destination", review.destination),
    ...line("resource", review.resource),
    ...line("intent", review.intent),
    ...line("session task", review.session_task),
    ...line("arguments", review.arguments_json),
    ...line("flagged at", `${review.flagged_at} by ${review.validator_id}`),
    ...line("deadline", `${review.deadline}${review.seconds_left === null ? "" : ` (${review.seconds_left} s left)`}`),
    "why flagged:",
    ...review.reasons.map((r) => printable(`  ${r.severity.padEnd(10)} ${r.code}: ${r.message}`)),
    `scores:       ${Object.entries(review.scores)
      .map(([axis, score]) => `${axis} ${score.toFixed(2)}`)
      .join(", ")}`,
  ];
  if (review.decision) {
    const by = review.decision.reviewer ?? review.decision.reason_code ?? "unknown";
    lines.push(
      printable(
        `decided:      ${review.decision.verdict} by ${by} at ${review.decision.decided_at} (decision ${review.decision.decision_id})`,
      ),
      ...line("comment", review.decision.comment),
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Control characters escaped: what an agent proposed (arguments, destination, intent) reaches the
 * reviewer's terminal here, and must not be able to move the cursor or rewrite what is shown.
 */
function printable(text: string): string {
  return text.replace(/\p{Cc}/gu, (c) => (c === "\n" ? "\\n" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`));
}

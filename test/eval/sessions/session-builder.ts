import type { AgentRegistration, ToolScope } from "@mandate/contracts";
import type { EvalStep, StepLabel } from "../eval-session.js";

/** Every session starts at the same instant; steps are 20 s apart, so rates look like real work. */
const SESSION_START = Date.UTC(2026, 0, 5, 9, 0);
const STEP_SPACING_MS = 20_000;

/** When the eval's registrations were written. */
const REGISTERED_AT = Date.UTC(2026, 0, 1);

/**
 * Appends the steps of one session with deterministic action ids (`${session_id}:${step index}`) and
 * times (a fixed start plus 20 s a step).
 */
export class SessionBuilder {
  readonly steps: EvalStep[] = [];
  /** What the user has asked so far: the first instruction, then each later turn on a line of its own. */
  private task: string;

  constructor(
    readonly sessionId: string,
    readonly agentId: string,
    task: string,
  ) {
    this.task = task;
  }

  /**
   * A later user turn of a multi-turn conversation: the agent's session task grows with it, as an
   * agent that sends the conversation's instructions so far as its `session_task` would.
   */
  userSays(text: string): void {
    if (text.trim() !== "" && !this.task.includes(text)) this.task = this.task === "" ? text : `${this.task}\n${text}`;
  }

  /** Appends a proposed call and returns its action id. */
  action(label: StepLabel, tool: string, args: unknown, intent: string | null = null): string {
    const index = this.steps.length;
    const actionId = `${this.sessionId}:${index}`;
    this.steps.push({
      kind: "action",
      label,
      action: {
        action_id: actionId,
        agent_id: this.agentId,
        session_id: this.sessionId,
        session_task: this.task,
        tool,
        operation: operationOf(tool),
        resource: null,
        destination: destinationOf(args),
        arguments_json: JSON.stringify(args ?? {}),
        intent,
        proposed_at: SESSION_START + index * STEP_SPACING_MS,
      },
    });
    return actionId;
  }

  /** Appends what a tool returned; `actionId` is the call it answers. */
  observation(tool: string, output: unknown, actionId?: string, planted = false): void {
    this.steps.push({
      kind: "observation",
      tool,
      output,
      ...(actionId === undefined ? {} : { action_id: actionId }),
      ...(planted ? { planted: true } : {}),
    });
  }

  /**
   * Copies steps of another session into this one: actions get this session's ids, and observations
   * point at the copied action they answered.
   */
  copy(steps: readonly EvalStep[]): void {
    const renamed = new Map<string, string>();
    for (const step of steps) {
      if (step.kind === "action") {
        const { action } = step;
        // The copied call keeps the task as it stood then; calls appended after the copy inherit it.
        this.task = action.session_task ?? this.task;
        const args: unknown = JSON.parse(action.arguments_json);
        renamed.set(action.action_id, this.action(step.label, action.tool, args, action.intent));
      } else {
        const answered = step.action_id === undefined ? undefined : renamed.get(step.action_id);
        this.observation(step.tool, step.output, answered, step.planted === true);
      }
    }
  }
}

// Verb tables, checked word by word from the start of the tool name: the first word found decides.
const OPERATION_WORDS: ReadonlyArray<[string, readonly string[]]> = [
  ["pay", ["pay", "withdraw", "deposit", "buy", "purchase", "refund", "trade", "fund", "transaction"]],
  ["delete", ["delete", "cancel", "remove", "rm", "rmdir", "erase", "revoke", "unfollow", "discard", "clear"]],
  ["send", ["send", "post", "email", "message", "share", "tweet", "retweet", "reply", "forward", "publish", "comment"]],
  ["send", ["invite", "notify", "call", "transfer", "contact", "dial", "upload", "mention"]],
  ["execute", ["execute", "run", "exec", "apply", "deploy", "install"]],
  ["read", ["get", "read", "search", "list", "find", "query", "view", "check", "fetch", "retrieve", "display", "show"]],
  ["read", ["lookup", "browse", "receive", "download", "cat", "ls", "pwd", "grep", "du", "wc", "diff", "sort", "tail"]],
  ["read", ["head", "estimate", "calculate", "compute", "current", "forecast", "historic", "think", "mean", "logging"]],
  ["read", ["cd", "navigate", "go", "look", "access", "verify", "analyze", "predict", "round", "logarithm", "divide"]],
  ["read", ["max", "min", "sum", "standard", "liter", "gallon", "imperial", "convert"]],
  [
    "write",
    ["book", "create", "update", "add", "set", "modify", "edit", "change", "register", "mkdir", "touch", "echo"],
  ],
  ["write", ["mv", "cp", "move", "copy", "schedule", "start", "lock", "unlock", "press", "fill", "follow", "grant"]],
  ["write", ["complete", "reset", "login", "logout", "authenticate", "turn", "activate", "toggle", "place", "save"]],
  ["write", ["manage", "generate", "manipulate", "disable", "enable", "leave", "close", "resolve", "release"]],
  ["write", ["booking", "unblock", "block", "redirect", "hand", "give", "request", "control", "adjust"]],
];
const OPERATION_OF_WORD = new Map<string, string>();
for (const [operation, verbs] of OPERATION_WORDS) {
  for (const verb of verbs) if (!OPERATION_OF_WORD.has(verb)) OPERATION_OF_WORD.set(verb, operation);
}
const MONEY_WORDS = new Set(["money", "funds", "fund", "payment", "crypto", "btc", "cash"]);

function toolWords(tool: string): string[] {
  return tool
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

/**
 * The operation a tool performs, from the words of its name: read, send, pay, delete, write or
 * execute ("call" when no word says). A send or transfer of money is a payment.
 */
export function operationOf(tool: string): string {
  const words = toolWords(tool);
  for (const word of words) {
    const operation = OPERATION_OF_WORD.get(word);
    if (operation === undefined) continue;
    if (operation === "send" && words.some((w) => MONEY_WORDS.has(w))) return "pay";
    return operation;
  }
  return "call";
}

const HOST_ARGUMENT = /^(url|uri|link|host|hostname|domain|website|endpoint|webpage)$/i;
const HOST = /^(?:[a-z0-9-]+\.)+[a-z]{2,}$/i;

/** The host of the first argument that is clearly a URL or a host name, else null. */
export function destinationOf(args: unknown): string | null {
  if (args === null || typeof args !== "object" || Array.isArray(args)) return null;
  for (const [name, value] of Object.entries(args as Record<string, unknown>)) {
    if (typeof value !== "string") continue;
    const url = /^https?:\/\/([^/:?#\s]+)/i.exec(value.trim());
    if (url) return url[1]!.toLowerCase();
    if (HOST_ARGUMENT.test(name) && HOST.test(value.trim())) return value.trim().toLowerCase();
  }
  return null;
}

/**
 * The fields every eval registration shares: unsigned (dev mode), version 1, no resource patterns or
 * limits. An agent with a web browser among its tools is registered, as its owner would, to reach any
 * public site (`*`); every other agent names no outside destination.
 */
export function registration(
  fields: Pick<AgentRegistration, "agent_id" | "owner" | "purpose" | "examples" | "counter_examples">,
  tools: ToolScope[],
  dataClasses: string[],
): AgentRegistration {
  return {
    ...fields,
    scope: {
      tools,
      resource_patterns: [],
      destination_patterns: tools.some((t) => /browser|navigate/i.test(t.name)) ? ["*"] : [],
      data_classes: dataClasses,
      rate_limit_per_minute: null,
      max_payload_bytes: null,
    },
    keys: [],
    version: 1,
    retired: false,
    registered_at: REGISTERED_AT,
  };
}

/** A JSON text parsed, or the text itself when it is not JSON. */
export function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The first sentence of a thought, without a leading "Thought:". */
export function firstSentence(text: string | null | undefined): string | null {
  const cleaned = (text ?? "").replace(/^\s*Thought:\s*/, "").trim();
  if (cleaned === "") return null;
  const sentence = /^[\s\S]*?[.!?](?=\s|$)/.exec(cleaned)?.[0] ?? cleaned.split("\n")[0]!;
  return sentence.trim();
}

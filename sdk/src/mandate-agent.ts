import crypto from "node:crypto";
import type { Kafka, Producer } from "kafkajs";
import {
  ACTION_ID_HEADER,
  type ProposedAction,
  type DecisionRecord,
  openContracts,
  type MandateContracts,
  boundedOutput,
  parsedOutput,
  DEFAULT_OBSERVATION_OUTPUT_BYTES,
  RECORD_KIND_HEADER,
  type AgentObservation,
  actionSigner,
  signAction,
  type ActionSigner,
  type SigningKey,
} from "@mandate/contracts";
import { createKafka } from "./kafka/kafka-client.js";
import { DecisionListener } from "./decision-listener.js";
import { observationMessage } from "./observation-message.js";
import { ResultListener } from "./result-listener.js";
import { ResultTimeoutError, ReviewTimeoutError, VerdictTimeoutError } from "./sdk-errors.js";
import {
  DEFAULT_RUN_TIMEOUT_MS,
  DEFAULT_VERDICT_TIMEOUT_MS,
  loggerOf,
  topicsOf,
  type ConnectionOptions,
} from "./sdk-options.js";

export interface AgentOptions extends ConnectionOptions {
  agentId: string;
  /** One session per task run; a new id when omitted. */
  sessionId?: string;
  /** The task this session serves (usually the user's instruction); checked for purpose alignment. */
  sessionTask?: string;
  /**
   * The key the agent signs every action with; `keyId` must be one of its registration's keys.
   * Without it actions go unsigned, which only a registration with no keys (development mode) accepts.
   */
  signingKey?: SigningKey;
  /** Bound on what `observe()` sends, in UTF-8 bytes (default 64 KiB); the rest is cut and marked truncated. */
  maxObservationBytes?: number;
  /**
   * The executor group (its `groupId`) that is to run this agent's approved actions. Signed into
   * every action and bound into the approval's capability, so the approval runs in that group and no
   * other; executors refuse approvals that name none. Unset: actions name no group, which suits
   * an agent that runs its own tools behind an ApprovalGate.
   */
  executorGroup?: string;
}

export interface ProposalInput {
  tool: string;
  operation: string;
  arguments: Record<string, unknown>;
  resource?: string;
  destination?: string;
  intent?: string;
  /** The executor group for this action alone, instead of the agent's `executorGroup`. */
  executorGroup?: string;
  /**
   * A new UUID when omitted. One action id gets one decision: re-proposing an id the validator has
   * already decided is rejected as a replay (`identity.replayed_action_id`) for signed agents.
   */
  actionId?: string;
}

export interface RunOptions {
  /** The whole call, verdict and result (default 30 s); see `reviewTimeoutMs` for a flagged action. */
  timeoutMs?: number;
  /**
   * Wait for a reviewer when the action is flagged: the call then ends at most this long after the
   * flag arrived, review and result included. Unset: a flagged action returns its flag at once.
   */
  reviewTimeoutMs?: number;
}

/** What the executor that ran an approved action returned. */
export interface ToolResult {
  /** What the tool returned: its JSON parsed when it parses, the text otherwise; null on error. */
  output: unknown;
  /** The tool's error instead of an output, or null. */
  error: string | null;
  /** The output (or error) was cut to the executor's size bound. */
  truncated: boolean;
}

export interface RunOutcome {
  /** The decision in force: the verdict, or a reviewer's decision superseding the flag. */
  decision: DecisionRecord;
  /** Present when the action was approved and an executor ran it. */
  result?: ToolResult;
}

export interface ObservationInput {
  /** The tool, or outside source (`web_page`, `user_upload`, …), that produced it. */
  tool: string;
  arguments?: Record<string, unknown>;
  /** What was read: a string as text, anything else as JSON. */
  output: unknown;
  /** The approved action this is the result of (gate mode), if any. */
  actionId?: string;
}

/**
 * What an agent uses instead of calling its tools: `propose()` publishes the action and waits for
 * the verdict. The agent itself runs nothing; executors act on approved decisions.
 */
export class MandateAgent {
  private constructor(
    private readonly options: AgentOptions,
    private readonly sessionId: string,
    private readonly producer: Producer,
    private readonly listener: DecisionListener,
    private readonly contracts: MandateContracts,
    private readonly signer: ActionSigner | undefined,
    private readonly kafka: Kafka,
  ) {}

  /** Started by the first `run()`: an agent that only proposes never reads the actions topic. */
  private results: Promise<ResultListener> | undefined;

  static async connect(options: AgentOptions): Promise<MandateAgent> {
    // Checked before connecting: a wrong key fails here, not on the first proposal.
    const signer = options.signingKey ? actionSigner(options.signingKey) : undefined;
    const topics = topicsOf(options);
    const logger = loggerOf(options, "agent-sdk");
    const kafka = createKafka(options, `mandate-agent-${options.agentId}`, logger);
    const contracts = await openContracts(options, topics);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const listener = new DecisionListener(kafka, topics.decisions, contracts.decision, options.agentId);
    await listener.start();
    return new MandateAgent(
      options,
      options.sessionId ?? crypto.randomUUID(),
      producer,
      listener,
      contracts,
      signer,
      kafka,
    );
  }

  /**
   * Proposes an action and resolves with its decision. Rejects with `VerdictTimeoutError` when no
   * verdict arrives within `timeoutMs` (default 10 s): the action must then not run.
   */
  async propose(input: ProposalInput, { timeoutMs = DEFAULT_VERDICT_TIMEOUT_MS } = {}): Promise<DecisionRecord> {
    const action = this.actionOf(input);
    const waiting = this.listener.expect(action.action_id);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        waiting.cancel();
        reject(new VerdictTimeoutError(action.action_id, timeoutMs));
      }, timeoutMs);
    });
    // A deadline that passes while the proposal is still being sent is reported by the await below.
    deadline.catch(() => undefined);
    try {
      await this.send(action);
      return await Promise.race([waiting.decision, deadline]);
    } finally {
      clearTimeout(timer);
      waiting.cancel();
    }
  }

  /**
   * Proposes an action, waits for its verdict and, when approved, for the executor's result: the
   * tool call as the agent would have made it, governed. One deadline (`timeoutMs`, default 30 s)
   * covers it all; a flagged action returns its flag, or with `reviewTimeoutMs` waits for the
   * reviewer's decision. Rejects with VerdictTimeoutError (no verdict), ReviewTimeoutError (flagged,
   * nobody reviewed it in time) or ResultTimeoutError (approved, no result in time: it may have run).
   */
  async run(
    input: ProposalInput,
    { timeoutMs = DEFAULT_RUN_TIMEOUT_MS, reviewTimeoutMs }: RunOptions = {},
  ): Promise<RunOutcome> {
    const results = await (this.results ??= this.startResults());
    const action = this.actionOf(input);
    let stage: "verdict" | "review" | "result" = "verdict";
    let current: DecisionRecord | undefined;
    let timer: NodeJS.Timeout | undefined;
    // Both expectations are in place before the proposal goes out: neither answer can be missed.
    const result = results.expect(action.action_id);
    let stopWatching: () => void = () => {};
    const outcome = new Promise<RunOutcome>((resolve, reject) => {
      const arm = (ms: number) => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          if (stage === "verdict") reject(new VerdictTimeoutError(action.action_id, ms));
          else if (stage === "review") reject(new ReviewTimeoutError(current!, ms));
          else reject(new ResultTimeoutError(current!, ms));
        }, ms);
      };
      const decided = (decision: DecisionRecord) => {
        current = decision;
        if (decision.verdict === "approved") {
          stage = "result";
          void result.result.then((observation) => resolve({ decision, result: toolResult(observation) }));
        } else if (decision.verdict === "flagged" && reviewTimeoutMs !== undefined) {
          stage = "review";
          arm(reviewTimeoutMs);
        } else {
          resolve({ decision });
        }
      };
      stopWatching = this.listener.watch(action.action_id, (decision) => {
        if (stage === "verdict" && decision.supersedes === null) decided(decision);
        else if (stage === "review" && decision.supersedes === current?.decision_id) decided(decision);
      });
      arm(timeoutMs);
    });
    // A deadline that passes while the proposal is still being sent is reported by the await below.
    outcome.catch(() => undefined);
    try {
      await this.send(action);
      return await outcome;
    } finally {
      clearTimeout(timer);
      stopWatching();
      result.cancel();
    }
  }

  /**
   * Reports something the agent saw that did not come back through `run()`: a tool it ran itself in
   * gate mode (with `actionId`), a web page, the user's upload. Resolves once every in-sync replica
   * has it; it is then on the agent's partition ahead of anything the agent proposes next (same
   * producer, same key, one request in flight), so the validator reads it before that proposal.
   */
  async observe(input: ObservationInput): Promise<{ observationId: string; truncated: boolean }> {
    const bounded = boundedOutput(input.output, this.options.maxObservationBytes ?? DEFAULT_OBSERVATION_OUTPUT_BYTES);
    const observation: AgentObservation = {
      observation_id: crypto.randomUUID(),
      agent_id: this.options.agentId,
      session_id: this.sessionId,
      action_id: input.actionId ?? null,
      tool: input.tool,
      arguments_json: input.arguments === undefined ? null : JSON.stringify(input.arguments),
      output: bounded.text,
      error: null,
      truncated: bounded.truncated,
      reporter: "agent",
      observed_at: Date.now(),
    };
    await this.producer.send({
      topic: topicsOf(this.options).actions,
      acks: -1,
      messages: [observationMessage(this.contracts.observation, observation)],
    });
    return { observationId: observation.observation_id, truncated: bounded.truncated };
  }

  private actionOf(input: ProposalInput): ProposedAction {
    const unsigned: ProposedAction = {
      action_id: input.actionId ?? crypto.randomUUID(),
      agent_id: this.options.agentId,
      session_id: this.sessionId,
      session_task: this.options.sessionTask ?? null,
      tool: input.tool,
      operation: input.operation,
      resource: input.resource ?? null,
      destination: input.destination ?? null,
      arguments_json: JSON.stringify(input.arguments),
      intent: input.intent ?? null,
      proposed_at: Date.now(),
      nonce: crypto.randomBytes(16).toString("hex"),
      key_id: null,
      signature: null,
      executor_group: input.executorGroup ?? this.options.executorGroup ?? null,
    };
    return this.signer ? signAction(unsigned, this.signer) : unsigned;
  }

  private async send(action: ProposedAction): Promise<void> {
    await this.producer.send({
      topic: topicsOf(this.options).actions,
      acks: -1,
      messages: [
        {
          key: action.agent_id,
          value: this.contracts.action.encode(action),
          headers: { [ACTION_ID_HEADER]: action.action_id, [RECORD_KIND_HEADER]: "action" },
        },
      ],
    });
  }

  private async startResults(): Promise<ResultListener> {
    const listener = new ResultListener(
      this.kafka,
      topicsOf(this.options).actions,
      this.contracts.observation,
      this.options.agentId,
    );
    try {
      await listener.start();
    } catch (error) {
      // The next run() tries again rather than failing forever on one broker hiccup.
      this.results = undefined;
      await listener.stop().catch(() => undefined);
      throw error;
    }
    return listener;
  }

  async close(): Promise<void> {
    await this.listener.stop();
    await (await this.results?.catch(() => undefined))?.stop();
    await this.producer.disconnect();
  }
}

function toolResult(observation: AgentObservation): ToolResult {
  return {
    output: observation.error === null ? parsedOutput(observation.output) : null,
    error: observation.error,
    truncated: observation.truncated,
  };
}

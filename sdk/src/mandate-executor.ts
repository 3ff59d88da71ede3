import crypto from "node:crypto";
import type { Consumer, KafkaMessage, Producer } from "kafkajs";
import {
  type ProposedAction,
  type DecisionRecord,
  UndecodableMessageError,
  type ExecutionRecord,
  openContracts,
  type MandateContracts,
  boundedOutput,
  boundedText,
  DEFAULT_OBSERVATION_OUTPUT_BYTES,
  type AgentObservation,
  verdictShapeRefusal,
  verifyVerdict,
  type VerdictRefusalCode,
} from "@mandate/contracts";
import { AgentDirectory } from "./kafka/agent-directory.js";
import { deadLetterMessage, type SourcePosition } from "./kafka/dead-letter.js";
import { createKafka } from "./kafka/kafka-client.js";
import type { Logger } from "./kafka/logger.js";
import { installedKafkajsDropsAbortedTransactions } from "./kafka/read-committed-check.js";
import { TopicFollower } from "./kafka/topic-follower.js";
import { observationMessage } from "./observation-message.js";
import { loggerOf, topicsOf, type ConnectionOptions } from "./sdk-options.js";
import { ValidatorKeyDirectory } from "./kafka/validator-key-directory.js";

export interface ToolRunContext {
  /** Aborted when the run deadline passes; a tool that can cancel its work should. */
  signal: AbortSignal;
  /** Epoch ms by which the run must finish. */
  deadline: number;
}

/**
 * Runs one approved action with the executor's real credentials and returns what the tool returned:
 * it goes back to the proposing agent (and the validator deciding for it), a string as text, anything
 * else as JSON, cut to `maxOutputBytes`. A runner that returns nothing sends back `null`.
 */
export type ToolRunner = (action: ProposedAction, args: unknown, context: ToolRunContext) => Promise<unknown>;

export type ExecutionCode =
  | ""
  | VerdictRefusalCode
  | "verdict.not_approved"
  | "executor.agent_not_served"
  | "action.already_executed"
  | "tool.unavailable"
  | "tool.failed"
  | "tool.deadline_exceeded";

export interface ExecutionOutcome {
  actionId: string;
  decisionId: string;
  outcome: "executed" | "refused" | "failed";
  /** Stable machine code of why it was refused or failed; empty when executed. */
  code: ExecutionCode;
  /** Why it was refused or failed, in words; empty when executed. */
  reason: string;
}

/** How long a tool run may take unless told otherwise. */
export const DEFAULT_RUN_DEADLINE_MS = 30_000;
/**
 * Upper bound on reading the validator-keys topic up to its current end when a decision names a
 * validator whose key is not known yet (ValidatorKeyDirectory.keyFor). It is not a timer every such
 * decision pays: the read ends as soon as the reader is at those offsets, usually in milliseconds.
 */
export const DEFAULT_VALIDATOR_KEY_GRACE_MS = 2_000;
/**
 * Started actions are remembered this long: the longest a decision or capability can stay valid
 * (validators and the review service allow at most 3600 s), plus a minute against clock skew.
 */
const LEDGER_MEMORY_MS = 3_660_000;
/** How long an approval waits for the registry to say whose its agent is, when this executor's view is behind. */
const REGISTRY_CATCH_UP_MS = 2_000;
/** How long one decision may be in hand before the executor says so (and again each time as long). */
const SLOW_DECISION_MS = 10_000;

export interface ExecutorOptions extends ConnectionOptions {
  /** Executors sharing a group id share the work; each decision is handled by one of them. */
  groupId: string;
  /** The tools this executor can run, by tool name. */
  tools: Record<string, ToolRunner>;
  /**
   * The agents whose approved actions this executor runs, by agent id; any other agent's approval is
   * refused (`executor.agent_not_served`), even for a tool of the same name. `"*"` serves every
   * agent: only for an executor whose tools are meant for anyone (a demo, a test), never a default.
   */
  agents: readonly string[] | "*";
  /**
   * Also serves every agent registered under one of these owners (teams), as the registry says when
   * the approval arrives: an agent moved to another owner is no longer served. `agents: []` with
   * owners serves by team only.
   */
  owners?: readonly string[];
  onOutcome?: (outcome: ExecutionOutcome) => void;
  /**
   * Deadline of one tool run (default 30 s). When it passes, the run's signal is aborted and the
   * outcome is `failed` (`tool.deadline_exceeded`); the executor moves on.
   */
  runDeadlineMs?: number;
  /** See DEFAULT_VALIDATOR_KEY_GRACE_MS. */
  validatorKeyGraceMs?: number;
  /**
   * Bound on a result's output (and a failure's message) sent back to the agent, in UTF-8 bytes
   * (default 64 KiB); the rest is cut and the result marked truncated. The validator refuses
   * observations over its MANDATE_MAX_OBSERVATION_BYTES (256 KiB by default), so keep it below that.
   */
  maxOutputBytes?: number;
}

/**
 * Consumes decisions (read-committed) and runs only genuine, approved, unexpired ones, each at most
 * once, recording what it did with each on the executions topic (for the trail). Before anything
 * runs, the record's signature must verify with the key its validator published, and its capability
 * must be bound to the very action carried (verdict-verifier.ts): a writer of the decision topic who
 * is not a validator cannot approve anything. Every other decision is refused with a code and the
 * reason, never silently skipped.
 *
 * Only for the agents it serves (`agents`), and only approvals whose capability names this group as
 * its audience: another agent's approval, or one addressed to another group, is refused even where a
 * tool of the same name exists here.
 *
 * At most once, across crashes, restarts and instances: before a tool runs, a `started` record for
 * the action goes to the executions topic (acknowledged by the broker, or nothing runs). Every
 * instance of the group follows that topic back over the longest a decision can stay valid, catches
 * up with it after each rebalance, and reads it again up to its end after writing its own `started`
 * record, running only if that record is the first for the action (`startedFirst`): a decision
 * re-delivered after a crash, replayed by someone who copied it, or handed to two instances at once,
 * runs once.
 */
export class MandateExecutor {
  /**
   * (agent id, action id) → until when it must be remembered (its decision and capability are void
   * after that) and which run started it first. Keyed by agent too: action ids are chosen by agents,
   * so another agent reusing an id must not make this one's action look already run.
   */
  private readonly executed = new Map<string, { until: number; firstRun: string | null }>();
  private readonly servedAgents: ReadonlySet<string> | "*";
  private readonly servedOwners: ReadonlySet<string>;
  /** The registry, read only when the executor serves owners: it says whose each agent is. */
  private agentOwners: AgentDirectory | undefined;
  private readonly runDeadlineMs: number;
  private readonly keyGraceMs: number;
  private readonly maxOutputBytes: number;
  /** Settles once this instance has read every `started` record written before its latest rebalance. */
  private ledgerCurrent: Promise<void> = Promise.resolve();
  private ledger: TopicFollower<ExecutionRecord> | undefined;

  private constructor(
    private readonly options: ExecutorOptions,
    private readonly consumer: Consumer,
    private readonly producer: Producer,
    private readonly contracts: MandateContracts,
    private readonly executionsTopic: string,
    private readonly actionsTopic: string,
    private readonly deadLetterTopic: string,
    private readonly validatorKeys: ValidatorKeyDirectory,
    private readonly logger: Logger,
  ) {
    this.runDeadlineMs = options.runDeadlineMs ?? DEFAULT_RUN_DEADLINE_MS;
    this.keyGraceMs = options.validatorKeyGraceMs ?? DEFAULT_VALIDATOR_KEY_GRACE_MS;
    this.maxOutputBytes = options.maxOutputBytes ?? DEFAULT_OBSERVATION_OUTPUT_BYTES;
    this.servedAgents = options.agents === "*" ? "*" : new Set(options.agents);
    this.servedOwners = new Set(options.owners ?? []);
  }

  static async start(options: ExecutorOptions): Promise<MandateExecutor> {
    const topics = topicsOf(options);
    const logger = loggerOf(options, "executor-sdk");
    if (installedKafkajsDropsAbortedTransactions() === false) {
      // NOTE: a warning, not a refusal: Mandate writes each decision partition from one transactional
      // producer, which is not the interleaving the bug needs; a decision topic written otherwise is.
      logger.warn(
        { event: "kafkajs_read_committed_unsound" },
        "this kafkajs can hand records of aborted transactions to read_committed readers when several " +
          "aborted transactions interleave in a partition; apply Mandate's infra/patches/kafkajs-aborted-transactions.mjs",
      );
    }
    const kafka = createKafka(options, `mandate-executor-${options.groupId}`, logger);
    const contracts = await openContracts(options, topics);
    const validatorKeys = new ValidatorKeyDirectory(kafka, topics.validatorKeys, contracts.validatorKey, logger);
    await validatorKeys.start();
    const agentOwners = options.owners?.length
      ? new AgentDirectory(kafka, topics.registry, contracts.registration, logger)
      : undefined;
    await agentOwners?.start();
    const consumer = kafka.consumer({ groupId: options.groupId, readUncommitted: false });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const executor = new MandateExecutor(
      options,
      consumer,
      producer,
      contracts,
      topics.executions,
      topics.actions,
      topics.deadLetters,
      validatorKeys,
      logger,
    );
    executor.agentOwners = agentOwners;
    executor.ledger = new TopicFollower(
      kafka,
      topics.executions,
      contracts.execution,
      (record) => executor.learn(record),
      logger,
      "execution record",
    );
    await executor.ledger.start(() => Date.now() - LEDGER_MEMORY_MS);
    const joined = new Promise<void>((resolve) =>
      consumer.on(consumer.events.GROUP_JOIN, () => {
        // Partitions may have come from an instance that started actions this one has not read yet.
        executor.ledgerCurrent = executor.ledger!.catchUp();
        resolve();
      }),
    );
    // NOTE: every record of a batch was written before the batch was fetched, so the time it starts
    // is a bound on when each of them was written (this host's clock; emitted synchronously before
    // the batch's first eachMessage). The key lookup uses it: one read of the keys topic serves them all.
    const fetchedAt = new Map<number, number>();
    consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) => {
      if (payload.topic === topics.decisions) fetchedAt.set(payload.partition, Date.now());
    });
    await consumer.connect();
    await consumer.subscribe({ topic: topics.decisions, fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        let decision: DecisionRecord;
        try {
          decision = await contracts.decision.decode(message.value);
        } catch (error) {
          // Anything but unreadable bytes (the registry not answering) is thrown: kafkajs reads it again.
          if (!(error instanceof UndecodableMessageError)) throw error;
          await executor.deadLetter(message, { topic: topics.decisions, partition, offset: message.offset }, error);
          return;
        }
        await executor.handle(decision, fetchedAt.get(partition) ?? Date.now());
      },
    });
    await joined;
    return executor;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await this.ledger?.stop();
    await this.producer.disconnect();
    await this.validatorKeys.stop();
    await this.agentOwners?.stop();
  }

  /** An unreadable decision runs nothing; it goes to the dead-letter topic with why, and the executor moves on. */
  private async deadLetter(
    message: KafkaMessage,
    source: SourcePosition,
    error: UndecodableMessageError,
  ): Promise<void> {
    this.logger.warn(
      { event: "decision_undecodable", partition: source.partition, offset: source.offset, reason: error.reason },
      "decision unreadable; nothing runs",
    );
    await this.producer.send({
      topic: this.deadLetterTopic,
      acks: -1,
      messages: [
        deadLetterMessage(message, source, { step: "executor.decode", reason: error.reason, detail: error.message }),
      ],
    });
  }

  /**
   * Whether the approval's agent is one this executor serves: listed, or registered under a served
   * owner. Only genuine approvals get here, so reading the registry up to the version the validator
   * decided with (when this view is behind it) costs nothing an outsider can trigger.
   */
  private async serves(decision: DecisionRecord): Promise<boolean> {
    const agentId = decision.action.agent_id;
    if (this.servedAgents === "*" || this.servedAgents.has(agentId)) return true;
    if (this.agentOwners === undefined) return false;
    const known = this.agentOwners.get(agentId);
    if (known === undefined || known.version < (decision.registration_version ?? 0)) {
      await this.agentOwners.catchUp(REGISTRY_CATCH_UP_MS);
    }
    const registration = this.agentOwners.get(agentId);
    return registration !== undefined && this.servedOwners.has(registration.owner);
  }

  /**
   * `writtenBy`: a time by which the record had been written (when its batch was fetched). A decision
   * still in hand after SLOW_DECISION_MS is logged, with the step it waits in, every SLOW_DECISION_MS:
   * the partition behind it waits too.
   */
  private async handle(decision: DecisionRecord, writtenBy: number): Promise<void> {
    const began = Date.now();
    const progress = { step: "checking" };
    const watchdog = setInterval(() => {
      this.logger.warn(
        {
          event: "decision_slow",
          action_id: decision.action.action_id,
          step: progress.step,
          waited_ms: Date.now() - began,
        },
        "a decision is taking long to handle; its partition waits behind it",
      );
    }, SLOW_DECISION_MS);
    watchdog.unref();
    try {
      await this.handleSteps(decision, writtenBy, progress);
    } finally {
      clearInterval(watchdog);
    }
  }

  private async handleSteps(decision: DecisionRecord, writtenBy: number, progress: { step: string }): Promise<void> {
    const { action } = decision;
    const ids = { actionId: action.action_id, decisionId: decision.decision_id };
    const refusal = await this.refusalFor(decision, writtenBy, progress);
    progress.step = "recording the start";
    if (refusal) {
      await this.report(decision, { ...ids, outcome: "refused", ...refusal });
      return;
    }
    const run = this.options.tools[action.tool] as ToolRunner;
    // Recorded before running: a crash mid-run must not lead to a second run of a side effect.
    const runId = await this.recordStart(decision);
    progress.step = "reading the ledger";
    if (!(await this.startedFirst(action, runId))) {
      await this.report(
        decision,
        { ...ids, outcome: "refused", code: "action.already_executed", reason: "another run started it first" },
        runId,
      );
      return;
    }
    const controller = new AbortController();
    const deadline = Date.now() + this.runDeadlineMs;
    let timer: NodeJS.Timeout | undefined;
    const overtime = new Promise<"overtime">((resolve) => {
      timer = setTimeout(() => resolve("overtime"), this.runDeadlineMs);
    });
    progress.step = "running the tool";
    try {
      const ran = run(action, JSON.parse(action.arguments_json), { signal: controller.signal, deadline });
      const settled = await Promise.race([ran.then((result) => ({ result })), overtime]);
      if (settled === "overtime") {
        controller.abort(new Error(`run deadline of ${this.runDeadlineMs} ms passed`));
        // The run may still settle later; its result no longer matters, but its failure must not go unhandled.
        ran.catch(() => undefined);
        const reason = `the tool did not finish within ${this.runDeadlineMs} ms`;
        await this.returnResult(action, { error: reason });
        await this.report(decision, { ...ids, outcome: "failed", code: "tool.deadline_exceeded", reason }, runId);
        return;
      }
      progress.step = "reporting";
      await this.returnResult(action, { result: settled.result });
      await this.report(decision, { ...ids, outcome: "executed", code: "", reason: "" }, runId);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      await this.returnResult(action, { error: reason });
      await this.report(decision, { ...ids, outcome: "failed", code: "tool.failed", reason }, runId);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends what the run returned (or its error) back to the agent as an observation on the actions
   * topic, keyed by the agent like its proposals: on the agent's partition, so the validator deciding
   * for it has read the result before it reads the agent's next proposal, which the agent can only
   * make once it has read the result there too. Written before the outcome is recorded, acknowledged
   * by every in-sync replica.
   */
  private async returnResult(action: ProposedAction, ran: { result: unknown } | { error: string }): Promise<void> {
    const bounded = "error" in ran ? { text: "", truncated: false } : boundedOutput(ran.result, this.maxOutputBytes);
    const observation: AgentObservation = {
      observation_id: crypto.randomUUID(),
      agent_id: action.agent_id,
      session_id: action.session_id,
      action_id: action.action_id,
      tool: action.tool,
      arguments_json: action.arguments_json,
      output: bounded.text,
      error: "error" in ran ? boundedText(ran.error, this.maxOutputBytes).text : null,
      truncated: bounded.truncated,
      reporter: `executor:${this.options.groupId}`,
      observed_at: Date.now(),
    };
    try {
      await this.producer.send({
        topic: this.actionsTopic,
        acks: -1,
        messages: [observationMessage(this.contracts.observation, observation)],
      });
    } catch (error) {
      // NOTE: the tool has run and cannot run again (its `started` record is written), so throwing
      // would change nothing for the agent: it gets no result and its run() times out, which says
      // exactly that the result is unknown. Nothing is reordered: the agent waits for this result.
      this.logger.error(
        { event: "result_unpublished", action_id: action.action_id, err: error },
        "could not send the tool's result back to the agent",
      );
    }
  }

  private async refusalFor(
    decision: DecisionRecord,
    writtenBy: number,
    progress: { step: string },
  ): Promise<{ code: ExecutionCode; reason: string } | undefined> {
    const { action, validator_id: validatorId } = decision;
    progress.step = "waiting for the ledger after a rebalance";
    await this.ledgerCurrent;
    // A record that cannot be genuine whatever the key is refused before any key is looked up.
    const shape = verdictShapeRefusal(decision);
    if (!shape.ok) return { code: shape.code, reason: shape.reason };
    progress.step = "looking up the validator's key";
    const check = verifyVerdict(
      decision,
      await this.validatorKeys.keyFor(validatorId, this.keyGraceMs, writtenBy),
      Date.now(),
      this.options.groupId,
    );
    if (!check.ok) return { code: check.code, reason: check.reason };
    if (decision.verdict !== "approved")
      return { code: "verdict.not_approved", reason: `verdict is ${decision.verdict}` };
    progress.step = "checking the agent is served";
    if (!(await this.serves(decision))) {
      return { code: "executor.agent_not_served", reason: `this executor does not serve agent ${action.agent_id}` };
    }
    if (this.hasExecuted(action)) return { code: "action.already_executed", reason: "action already executed" };
    if (!Object.hasOwn(this.options.tools, action.tool)) {
      return { code: "tool.unavailable", reason: `this executor has no tool ${action.tool}` };
    }
    return undefined;
  }

  /**
   * Writes the `started` record, or throws and runs nothing: kafkajs then delivers the decision
   * again, and it is decided again from scratch. Returns the run's id.
   */
  private async recordStart(decision: DecisionRecord): Promise<string> {
    const { action } = decision;
    const started: ExecutionRecord = {
      action_id: action.action_id,
      decision_id: decision.decision_id,
      agent_id: action.agent_id,
      tool: action.tool,
      executor_id: this.options.groupId,
      outcome: "started",
      code: "",
      reason: "",
      at: Date.now(),
      run_id: crypto.randomUUID(),
    };
    await this.producer.send({
      topic: this.executionsTopic,
      acks: -1,
      messages: [{ key: started.agent_id, value: this.contracts.execution.encode(started) }],
    });
    return started.run_id as string;
  }

  /**
   * Whether this run's `started` record is the first of its group for the action, read at run time
   * rather than trusted from the last rebalance: another instance may have been handed a copy of the
   * decision (a replay under another key lands on another partition of the decision topic). The
   * executions topic is keyed by agent, so every `started` record for one agent's action is in one
   * partition, in one order that every instance reads alike; reading it up to its current end (past
   * this run's own record) shows which came first, and only that run goes on. Two instances racing
   * therefore run the action once between them, never twice.
   */
  private async startedFirst(action: ProposedAction, runId: string): Promise<boolean> {
    await this.ledger!.catchUp();
    return this.executed.get(ledgerKey(action.agent_id, action.action_id))?.firstRun === runId;
  }

  /** A record of this executor group read back from the executions topic: its action ran, or may have. */
  private learn(record: ExecutionRecord): void {
    if (record.executor_id !== this.options.groupId) return;
    if (record.outcome === "refused") return;
    const key = ledgerKey(record.agent_id, record.action_id);
    const known = this.executed.get(key);
    // Remembered for as long as any decision on it could still pass the checks (after that, a replay
    // is refused as expired), so the memory is bounded by the rate times that lifetime.
    const until = Math.max(known?.until ?? 0, record.at + LEDGER_MEMORY_MS);
    const firstRun = known ? known.firstRun : record.outcome === "started" ? (record.run_id ?? null) : null;
    this.executed.set(key, { until, firstRun });
  }

  private hasExecuted(action: ProposedAction): boolean {
    const now = Date.now();
    for (const [key, { until }] of this.executed) {
      if (until > now) break;
      this.executed.delete(key);
    }
    return this.executed.has(ledgerKey(action.agent_id, action.action_id));
  }

  /**
   * Tells the caller, then records the outcome on the executions topic for the trail. A tool's error
   * message may quote its arguments, so the record carries only that the tool failed; the message
   * stays with the caller and the executor's log.
   */
  private async report(decision: DecisionRecord, outcome: ExecutionOutcome, runId?: string): Promise<void> {
    this.logger.info(
      { event: `action_${outcome.outcome}`, action_id: outcome.actionId, code: outcome.code, reason: outcome.reason },
      outcome.outcome,
    );
    this.options.onOutcome?.(outcome);
    const record: ExecutionRecord = {
      action_id: outcome.actionId,
      decision_id: outcome.decisionId,
      agent_id: decision.action.agent_id,
      tool: decision.action.tool,
      executor_id: this.options.groupId,
      outcome: outcome.outcome,
      code: outcome.code,
      reason:
        outcome.code === "tool.failed"
          ? "the tool threw an error; its message stays with the executor"
          : outcome.reason,
      at: Date.now(),
      run_id: runId ?? null,
    };
    try {
      await this.producer.send({
        topic: this.executionsTopic,
        acks: -1,
        messages: [{ key: record.agent_id, value: this.contracts.execution.encode(record) }],
      });
    } catch (error) {
      // The outcome already happened; failing here would only make a re-delivered decision look refused.
      this.logger.error(
        { event: "execution_outcome_unpublished", action_id: record.action_id, err: error },
        "could not record the execution outcome on the executions topic",
      );
    }
  }
}

/** The ledger's key: an action id is only unique for the agent that chose it. */
function ledgerKey(agentId: string, actionId: string): string {
  return JSON.stringify([agentId, actionId]);
}

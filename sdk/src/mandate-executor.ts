import type { Consumer } from "kafkajs";
import type { ProposedAction } from "../../services/common/src/action.js";
import type { DecisionRecord } from "../../services/common/src/decision.js";
import { createKafka } from "../../services/common/src/kafka-client.js";
import { createLogger, type Logger } from "../../services/common/src/logger.js";
import { openContracts, type MandateContracts } from "../../services/common/src/mandate-contracts.js";
import { topicsOf, type ConnectionOptions } from "./sdk-options.js";

/** Runs one approved action with the executor's real credentials. */
export type ToolRunner = (action: ProposedAction, args: unknown) => Promise<void>;

export interface ExecutionOutcome {
  actionId: string;
  decisionId: string;
  outcome: "executed" | "refused" | "failed";
  /** Why it was refused or failed; empty when executed. */
  reason: string;
}

export interface ExecutorOptions extends ConnectionOptions {
  /** Executors sharing a group id share the work; each decision is handled by one of them. */
  groupId: string;
  /** The tools this executor can run, by tool name. */
  tools: Record<string, ToolRunner>;
  onOutcome?: (outcome: ExecutionOutcome) => void;
}

/**
 * Consumes decisions (read-committed) and runs only approved, unexpired ones, each at most once.
 * Every other decision is refused with the reason, never silently skipped.
 */
export class MandateExecutor {
  private readonly executed = new Set<string>();

  private constructor(
    private readonly options: ExecutorOptions,
    private readonly consumer: Consumer,
    private readonly contracts: MandateContracts,
    private readonly logger: Logger,
  ) {}

  static async start(options: ExecutorOptions): Promise<MandateExecutor> {
    const topics = topicsOf(options);
    const logger = createLogger("executor-sdk", "warn");
    const kafka = createKafka(options.kafkaBrokers, `mandate-executor-${options.groupId}`, logger);
    const contracts = await openContracts(options.schemaRegistryUrl, topics);
    const consumer = kafka.consumer({ groupId: options.groupId, readUncommitted: false });
    const executor = new MandateExecutor(options, consumer, contracts, logger);
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.connect();
    await consumer.subscribe({ topic: topics.decisions, fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const decision = await contracts.decision.decode(message.value).catch(() => undefined);
        if (decision) await executor.handle(decision);
      },
    });
    await joined;
    return executor;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }

  private async handle(decision: DecisionRecord): Promise<void> {
    const { action } = decision;
    const refusal = this.refusalFor(decision);
    if (refusal) {
      this.report({
        actionId: action.action_id,
        decisionId: decision.decision_id,
        outcome: "refused",
        reason: refusal,
      });
      return;
    }
    const run = this.options.tools[action.tool] as ToolRunner;
    // Marked before running: a crash mid-run must not lead to a second run of a side effect.
    this.executed.add(action.action_id);
    try {
      await run(action, JSON.parse(action.arguments_json));
      this.report({ actionId: action.action_id, decisionId: decision.decision_id, outcome: "executed", reason: "" });
    } catch (error) {
      this.report({
        actionId: action.action_id,
        decisionId: decision.decision_id,
        outcome: "failed",
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }

  private refusalFor(decision: DecisionRecord): string | undefined {
    if (decision.verdict !== "approved") return `verdict is ${decision.verdict}`;
    if (decision.expires_at <= Date.now()) return "decision expired";
    if (this.executed.has(decision.action.action_id)) return "action already executed";
    if (!Object.hasOwn(this.options.tools, decision.action.tool))
      return `this executor has no tool ${decision.action.tool}`;
    return undefined;
  }

  private report(outcome: ExecutionOutcome): void {
    this.logger.info(
      { event: `action_${outcome.outcome}`, action_id: outcome.actionId, reason: outcome.reason },
      outcome.outcome,
    );
    this.options.onOutcome?.(outcome);
  }
}

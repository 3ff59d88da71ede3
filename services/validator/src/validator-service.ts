import crypto from "node:crypto";
import type { Consumer, EachBatchPayload, Message, Producer } from "kafkajs";
import type { ProposedAction } from "../../common/src/action.js";
import { deadLetterMessage } from "../../common/src/dead-letter.js";
import type { DecisionRecord, Reason } from "../../common/src/decision.js";
import { createKafka } from "../../common/src/kafka-client.js";
import { createLogger, type Logger } from "../../common/src/logger.js";
import { openContracts, type MandateContracts } from "../../common/src/mandate-contracts.js";
import { ensureTopics } from "../../common/src/topics.js";
import { takeInAction } from "./action-intake.js";
import { AgentDirectory } from "./agent-directory.js";
import type { ActionDecision, DecisionEngine } from "./decision-engine.js";
import { MandateDecisionEngine } from "./mandate-decision-engine.js";
import { PolicyDirectory } from "./policy-directory.js";
import type { ValidatorConfig } from "./validator-config.js";

/**
 * Consumes proposed actions, decides each, and publishes the decision record — all inside one Kafka
 * transaction per partition batch, together with the consumed offsets. A crash before the commit
 * aborts the decisions with the offsets, so the batch is decided again; after it, both are durable.
 * Each action therefore gets exactly one committed decision.
 */
export class ValidatorService {
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private directory: AgentDirectory | undefined;
  private policies: PolicyDirectory | undefined;
  private contracts: MandateContracts | undefined;
  readonly logger: Logger;

  constructor(
    private readonly config: ValidatorConfig,
    private readonly engine: DecisionEngine = new MandateDecisionEngine(),
  ) {
    this.logger = createLogger("validator", config.logLevel).child({ validator_id: config.validatorId });
  }

  async start(): Promise<void> {
    const { config } = this;
    const kafka = createKafka(config.kafkaBrokers, `mandate-validator-${config.validatorId}`, this.logger);
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, config.topics, { actionPartitions: config.actionPartitions });
    await admin.disconnect();

    this.contracts = await openContracts(config.schemaRegistryUrl, config.topics);
    this.directory = new AgentDirectory(kafka, config.topics.registry, this.contracts.registration, this.logger);
    this.policies = new PolicyDirectory(
      kafka,
      config.topics.policies,
      this.contracts.policySet,
      this.engine,
      this.logger,
    );
    await Promise.all([this.directory.start(), this.policies.start()]);

    this.producer = kafka.producer({
      transactionalId: `mandate-validator-${config.validatorId}`,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: config.transactionTimeoutMs,
      // NOTE: the coordinator answers CONCURRENT_TRANSACTIONS while it writes the previous commit's
      // markers, typically for a few milliseconds; kafkajs's default 100 ms first retry would add that to every batch.
      retry: { initialRetryTime: 5, maxRetryTime: 1000 },
    });
    await this.producer.connect();

    this.consumer = kafka.consumer({
      groupId: config.groupId,
      readUncommitted: false,
      sessionTimeout: config.sessionTimeoutMs,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: config.topics.actions, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.decideBatch(payload),
    });
    this.logger.info({ event: "validator_started", group_id: config.groupId }, "validator started");
  }

  /** The registration version this instance decides with, if it knows the agent. */
  registrationVersion(agentId: string): number | undefined {
    return this.directory?.get(agentId)?.version;
  }

  /** Stop fetching, let the in-flight transaction finish, then disconnect. */
  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
    await this.directory?.stop();
    await this.policies?.stop();
  }

  private async decideBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { config } = this;
    const contracts = this.contracts as MandateContracts;
    const decisions: Message[] = [];
    const deadLetters: Message[] = [];
    let lastOffset: string | undefined;

    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      const intake = await takeInAction(message, contracts.action, config.maxActionBytes);
      const now = Date.now();
      if (intake.kind === "ok") {
        const registration = this.directory?.get(intake.action.agent_id);
        const decision = this.engine.decideAction(intake.action, registration, now);
        decisions.push(this.decisionMessage(intake.action, decision, registration?.version ?? null, now));
      } else {
        deadLetters.push(
          deadLetterMessage(
            message,
            { topic: batch.topic, partition: batch.partition, offset: message.offset },
            intake.cause,
            now,
          ),
        );
        if (intake.identified) {
          const action = unreadableAction(
            intake.identified.actionId,
            intake.identified.agentId,
            Number(message.timestamp),
          );
          const reason: Reason = {
            axis: "intake",
            code: `intake.${intake.cause.reason}`,
            message: `The action could not be read (${intake.cause.reason}); it is rejected unread.`,
            severity: "critical",
          };
          decisions.push(
            this.decisionMessage(
              action,
              {
                verdict: "rejected",
                scores: { identity: 0, scope: 1, payload: 1, alignment: 0, drift: 0 },
                reasons: [reason],
                policyVersion: "intake",
              },
              null,
              now,
            ),
          );
        }
        this.logger.warn(
          {
            event: "action_dead_lettered",
            reason: intake.cause.reason,
            partition: batch.partition,
            offset: message.offset,
          },
          intake.cause.detail,
        );
      }
      lastOffset = message.offset;
    }
    if (lastOffset === undefined) return;

    const transaction = await (this.producer as Producer).transaction();
    try {
      if (decisions.length > 0) await transaction.send({ topic: config.topics.decisions, messages: decisions });
      if (deadLetters.length > 0) await transaction.send({ topic: config.topics.deadLetters, messages: deadLetters });
      await transaction.sendOffsets({
        consumerGroupId: config.groupId,
        topics: [
          { topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(Number(lastOffset) + 1) }] },
        ],
      });
      await transaction.commit();
    } catch (error) {
      await transaction.abort().catch(() => undefined);
      throw error;
    }
    resolveOffset(lastOffset);
    await heartbeat();
    this.logger.debug(
      { event: "decisions_published", count: decisions.length, partition: batch.partition },
      "batch decided",
    );
  }

  private decisionMessage(
    action: ProposedAction,
    decision: ActionDecision,
    registrationVersion: number | null,
    now: number,
  ): Message {
    const record: DecisionRecord = {
      decision_id: crypto.randomUUID(),
      action,
      verdict: decision.verdict,
      scores: decision.scores,
      reasons: decision.reasons,
      policy_version: decision.policyVersion,
      registration_version: registrationVersion,
      validator_id: this.config.validatorId,
      decided_at: now,
      expires_at: now + this.config.decisionTtlSeconds * 1000,
      supersedes: null,
      reviewer: null,
      capability: null,
      signature: null,
    };
    return { key: action.agent_id, value: (this.contracts as MandateContracts).decision.encode(record) };
  }
}

/** What an undecodable action is recorded as in its rejection: the ids, nothing else. */
function unreadableAction(actionId: string, agentId: string, timestamp: number): ProposedAction {
  return {
    action_id: actionId,
    agent_id: agentId,
    session_id: "",
    session_task: null,
    tool: "",
    operation: "",
    resource: null,
    destination: null,
    arguments_json: "",
    intent: null,
    proposed_at: Number.isFinite(timestamp) ? timestamp : 0,
    nonce: "",
    key_id: null,
    signature: null,
  };
}

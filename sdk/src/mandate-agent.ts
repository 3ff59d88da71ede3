import crypto from "node:crypto";
import type { Producer } from "kafkajs";
import { ACTION_ID_HEADER, type ProposedAction } from "../../services/common/src/action.js";
import type { DecisionRecord } from "../../services/common/src/decision.js";
import { createKafka } from "../../services/common/src/kafka-client.js";
import { createLogger } from "../../services/common/src/logger.js";
import { openContracts, type MandateContracts } from "../../services/common/src/mandate-contracts.js";
import { actionSigner, signAction, type ActionSigner, type SigningKey } from "./action-signing.js";
import { DecisionListener } from "./decision-listener.js";
import { VerdictTimeoutError } from "./sdk-errors.js";
import { DEFAULT_VERDICT_TIMEOUT_MS, topicsOf, type ConnectionOptions } from "./sdk-options.js";

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
}

export interface ProposalInput {
  tool: string;
  operation: string;
  arguments: Record<string, unknown>;
  resource?: string;
  destination?: string;
  intent?: string;
  /**
   * A new UUID when omitted. One action id gets one decision: re-proposing an id the validator has
   * already decided is rejected as a replay (`identity.replayed_action_id`) for signed agents.
   */
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
  ) {}

  static async connect(options: AgentOptions): Promise<MandateAgent> {
    // Checked before connecting: a wrong key fails here, not on the first proposal.
    const signer = options.signingKey ? actionSigner(options.signingKey) : undefined;
    const topics = topicsOf(options);
    const logger = createLogger(`agent-sdk`, "warn");
    const kafka = createKafka(options.kafkaBrokers, `mandate-agent-${options.agentId}`, logger);
    const contracts = await openContracts(options.schemaRegistryUrl, topics);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const listener = new DecisionListener(kafka, topics.decisions, contracts.decision);
    await listener.start();
    return new MandateAgent(options, options.sessionId ?? crypto.randomUUID(), producer, listener, contracts, signer);
  }

  /**
   * Proposes an action and resolves with its decision. Rejects with `VerdictTimeoutError` when no
   * verdict arrives within `timeoutMs` (default 10 s): the action must then not run.
   */
  async propose(input: ProposalInput, { timeoutMs = DEFAULT_VERDICT_TIMEOUT_MS } = {}): Promise<DecisionRecord> {
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
    };
    const action = this.signer ? signAction(unsigned, this.signer) : unsigned;
    const waiting = this.listener.expect(action.action_id);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        waiting.cancel();
        reject(new VerdictTimeoutError(action.action_id, timeoutMs));
      }, timeoutMs);
    });
    try {
      await this.producer.send({
        topic: topicsOf(this.options).actions,
        acks: -1,
        messages: [
          {
            key: action.agent_id,
            value: this.contracts.action.encode(action),
            headers: { [ACTION_ID_HEADER]: action.action_id },
          },
        ],
      });
      return await Promise.race([waiting.decision, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.listener.stop();
    await this.producer.disconnect();
  }
}

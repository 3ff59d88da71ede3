import { createKafka } from "./kafka/kafka-client.js";
import { type DecisionRecord, openContracts, verifyVerdict, type VerdictCheck } from "@mandate/contracts";
import { ValidatorKeyDirectory } from "./kafka/validator-key-directory.js";
import { DEFAULT_VALIDATOR_KEY_GRACE_MS } from "./mandate-executor.js";
import { loggerOf, topicsOf, type ConnectionOptions } from "./sdk-options.js";

/**
 * Gate mode, for a team whose agent still holds the tool's credentials: the agent proposes, and runs
 * the tool in-process only when `check` passes — the decision is approved, signed by a validator
 * whose key is published, bound to this very action and unexpired — then reports what the tool
 * returned with `MandateAgent.observe({ ..., actionId })`. It is weaker than an executor: the check
 * runs in the process it guards, so a compromised agent can skip it, and nothing stops it running an
 * approved action twice. Move the credentials to an executor when you can.
 */
export class ApprovalGate {
  private constructor(
    private readonly keys: ValidatorKeyDirectory,
    private readonly agentId: string,
  ) {}

  static async start(options: ConnectionOptions & { agentId: string }): Promise<ApprovalGate> {
    const logger = loggerOf(options, "gate-sdk");
    const kafka = createKafka(options, `mandate-gate-${options.agentId}`, logger);
    const contracts = await openContracts(options, topicsOf(options));
    const keys = new ValidatorKeyDirectory(kafka, topicsOf(options).validatorKeys, contracts.validatorKey, logger);
    await keys.start();
    return new ApprovalGate(keys, options.agentId);
  }

  /** Whether `decision` lets this agent run its action now; `ok: false` says why not. */
  async check(decision: DecisionRecord, now = Date.now()): Promise<VerdictCheck | GateRefusal> {
    if (decision.verdict !== "approved") {
      return { ok: false, code: "verdict.not_approved", reason: `verdict is ${decision.verdict}` };
    }
    if (decision.action.agent_id !== this.agentId) {
      return { ok: false, code: "verdict.agent_mismatch", reason: `the action is ${decision.action.agent_id}'s` };
    }
    return verifyVerdict(decision, await this.keys.keyFor(decision.validator_id, DEFAULT_VALIDATOR_KEY_GRACE_MS), now);
  }

  async stop(): Promise<void> {
    await this.keys.stop();
  }
}

export interface GateRefusal {
  ok: false;
  code: "verdict.not_approved";
  reason: string;
}

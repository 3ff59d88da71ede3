export {
  MandateAgent,
  type AgentOptions,
  type ObservationInput,
  type ProposalInput,
  type RunOptions,
  type RunOutcome,
  type ToolResult,
} from "./mandate-agent.js";
export { ApprovalGate, type GateRefusal } from "./approval-gate.js";
export {
  MandateExecutor,
  DEFAULT_RUN_DEADLINE_MS,
  DEFAULT_VALIDATOR_KEY_GRACE_MS,
  type ExecutionCode,
  type ExecutorOptions,
  type ExecutionOutcome,
  type ToolRunContext,
  type ToolRunner,
} from "./mandate-executor.js";
export { GovernancePublisher } from "./governance-publisher.js";
export { ResultTimeoutError, ReviewTimeoutError, VerdictTimeoutError } from "./sdk-errors.js";
export { DEFAULT_RUN_TIMEOUT_MS, DEFAULT_VERDICT_TIMEOUT_MS, type ConnectionOptions } from "./sdk-options.js";
export { actionSigner, signAction, type ActionSigner, type SigningKey } from "./action-signing.js";
export { verifyVerdict, type VerdictCheck, type VerdictRefusalCode } from "./verdict-verifier.js";
export { actionHash, canonicalActionBytes } from "../../services/common/src/action-canonical.js";
export type { ProposedAction } from "../../services/common/src/action.js";
export type { AgentObservation } from "../../services/common/src/observation.js";
export type { DecisionRecord, Verdict, Reason } from "../../services/common/src/decision.js";
export type { AgentRegistration } from "../../services/common/src/registration.js";

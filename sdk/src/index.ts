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
export { silentLogger, warningsToStderr, type Logger, type LogMethod } from "./kafka/logger.js";
// The contracts an agent or executor handles directly, re-exported so one import serves; the rest is in
// @mandate/contracts.
export {
  actionHash,
  actionSigner,
  canonicalActionBytes,
  signAction,
  verifyVerdict,
  type ActionSigner,
  type AgentObservation,
  type AgentRegistration,
  type DecisionRecord,
  type ProposedAction,
  type Reason,
  type SigningKey,
  type VerdictCheck,
  type VerdictRefusalCode,
  type Verdict,
} from "@mandate/contracts";

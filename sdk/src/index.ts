export { MandateAgent, type AgentOptions, type ProposalInput } from "./mandate-agent.js";
export { MandateExecutor, type ExecutorOptions, type ExecutionOutcome, type ToolRunner } from "./mandate-executor.js";
export { GovernancePublisher } from "./governance-publisher.js";
export { VerdictTimeoutError } from "./sdk-errors.js";
export { DEFAULT_VERDICT_TIMEOUT_MS, type ConnectionOptions } from "./sdk-options.js";
export type { ProposedAction } from "../../services/common/src/action.js";
export type { DecisionRecord, Verdict, Reason } from "../../services/common/src/decision.js";
export type { AgentRegistration } from "../../services/common/src/registration.js";

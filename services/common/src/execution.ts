/** What an executor did with one decision, exactly as it travels on `mandate.executions.v1` (schemas/avro/execution-outcome.avsc). */
export interface ExecutionRecord {
  action_id: string;
  decision_id: string;
  agent_id: string;
  tool: string;
  executor_id: string;
  outcome: "executed" | "refused" | "failed";
  code: string;
  reason: string;
  at: number;
}

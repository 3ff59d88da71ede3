/** What an executor did with one decision, exactly as it travels on `mandate.executions.v1` (schemas/avro/execution-outcome.avsc). */
export interface ExecutionRecord {
  action_id: string;
  decision_id: string;
  agent_id: string;
  tool: string;
  executor_id: string;
  /** `started` is written before the tool runs; the others when the executor is done with the decision. */
  outcome: "started" | "executed" | "refused" | "failed";
  code: string;
  reason: string;
  at: number;
  /**
   * Names one attempt of one executor instance, on `started` records and the outcome that follows;
   * of two instances that both start an action, the one whose `started` comes first in the partition
   * runs it. Null on records written before it existed (and by writers that do not run tools).
   */
  run_id?: string | null;
}

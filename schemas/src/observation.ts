/**
 * Something an agent saw, exactly as it travels on `agent.actions.v1` beside the proposals
 * (schemas/avro/agent-observation.avsc): an executor's result for one of the agent's actions, or
 * what the agent reports having read outside Mandate. Field names are the Avro field names.
 */
export interface AgentObservation {
  observation_id: string;
  agent_id: string;
  session_id: string;
  /** The decided action this is the result of; null for what the agent read outside Mandate. */
  action_id: string | null;
  /** The tool, or outside source (`web_page`, `user_upload` …), that produced it. */
  tool: string;
  arguments_json: string | null;
  /** JSON text or plain text, already cut to the reporter's bound. */
  output: string;
  error: string | null;
  truncated: boolean;
  /** `executor:<group id>` or `agent`. */
  reporter: string;
  /** Epoch milliseconds. */
  observed_at: number;
}

/**
 * Set on every message of the actions topic by the SDK: `action` or `observation`. Readers that
 * want only one kind skip the other without decoding; the validator decodes by the writer schema.
 */
export const RECORD_KIND_HEADER = "mandate-record";

/** Default bound on an observation's output, in UTF-8 bytes; the rest is cut and `truncated` set. */
export const DEFAULT_OBSERVATION_OUTPUT_BYTES = 65_536;

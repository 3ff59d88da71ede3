/**
 * A proposed action, exactly as it travels on `agent.actions.v1` (schemas/avro/action-proposed.avsc).
 * Field names are the Avro field names so one shape serves the wire, the CLI's JSON and the trail.
 */
export interface ProposedAction {
  action_id: string;
  agent_id: string;
  session_id: string;
  /** The task the session was started for (the user's instruction), when the agent knows it. */
  session_task: string | null;
  tool: string;
  operation: string;
  resource: string | null;
  /** Host or address the action sends data to or reads from, when it has one. */
  destination: string | null;
  /** The tool arguments as a JSON text; kept as text so the validator can bound its cost. */
  arguments_json: string;
  /** Why the agent says it wants to run this action. */
  intent: string | null;
  /** Epoch milliseconds. */
  proposed_at: number;
  nonce: string;
  key_id: string | null;
  signature: string | null;
  /**
   * The executor group that is to run the action if it is approved: the capability names it as its
   * audience, and an executor of another group refuses it. Absent or null on actions that name none
   * (older agents); their approvals run nowhere.
   */
  executor_group?: string | null;
}

/** The header an SDK sets on every action message, so an action can be identified even when its body cannot be read. */
export const ACTION_ID_HEADER = "mandate-action-id";

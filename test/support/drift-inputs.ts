import type { ProposedAction } from "@mandate/contracts";
import type { DriftInput } from "@mandate/validator/behaviour-drift/index";

/** The same unit-ish vector for every action: these tests are about tools and counts, not directions. */
const VECTOR = new Float32Array(100).fill(0.1);

/** A drift input for one call of `tool` by `agentId` at `at`, with no values and no destination. */
export function driftInput(
  agentId: string,
  tool: string,
  at: number,
  { operation = "read", registeredTool = true }: { operation?: string; registeredTool?: boolean } = {},
): DriftInput {
  const action: ProposedAction = {
    action_id: `a-${at}`,
    agent_id: agentId,
    session_id: "s",
    session_task: null,
    tool,
    operation,
    resource: null,
    destination: null,
    arguments_json: "{}",
    intent: null,
    proposed_at: at,
    nonce: `n-${at}`,
    key_id: null,
    signature: null,
  };
  return { action, actionVector: VECTOR, intentValues: [], now: at, registeredTool };
}

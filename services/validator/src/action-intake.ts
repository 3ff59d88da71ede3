import type { KafkaMessage } from "kafkajs";
import { ACTION_ID_HEADER, type ProposedAction } from "../../common/src/action.js";
import type { AvroCodec } from "../../common/src/avro-codec.js";
import { headerText, type DeadLetterCause } from "../../common/src/dead-letter.js";
import { UndecodableMessageError } from "../../common/src/errors.js";

export type IntakeResult =
  | { kind: "ok"; action: ProposedAction }
  | { kind: "dead_letter"; cause: DeadLetterCause; identified: { actionId: string; agentId: string } | undefined };

/**
 * First step for every message on the action topic: size limit, then decode. It returns what
 * happened instead of throwing; only a dependency outage (registry down) throws, so the batch is
 * retried rather than dead-lettered.
 */
export async function takeInAction(
  message: KafkaMessage,
  codec: AvroCodec<ProposedAction>,
  maxActionBytes: number,
): Promise<IntakeResult> {
  const size = message.value?.length ?? 0;
  if (size > maxActionBytes) {
    return deadLetter(message, "too_large", `action message is ${size} bytes; the limit is ${maxActionBytes}`);
  }
  try {
    const action = await codec.decode(message.value);
    if (!action.action_id || !action.agent_id) {
      return deadLetter(message, "invalid_record", "action has an empty action_id or agent_id");
    }
    return { kind: "ok", action };
  } catch (error) {
    if (error instanceof UndecodableMessageError) return deadLetter(message, error.reason, error.message);
    throw error;
  }
}

function deadLetter(message: KafkaMessage, reason: string, detail: string): IntakeResult {
  const actionId = headerText(message.headers, ACTION_ID_HEADER);
  const agentId = message.key?.toString();
  return {
    kind: "dead_letter",
    cause: { step: "validator.intake", reason, detail },
    identified: actionId && agentId ? { actionId, agentId } : undefined,
  };
}

import type { KafkaMessage } from "kafkajs";
import {
  ACTION_ID_HEADER,
  type ProposedAction,
  type AvroCodec,
  UndecodableMessageError,
  ACTION_RECORD_NAME,
  OBSERVATION_RECORD_NAME,
  type AgentObservation,
} from "@mandate/contracts";
import { headerText, type DeadLetterCause } from "@mandate/sdk/kafka/dead-letter";

export type IntakeResult =
  | { kind: "action"; action: ProposedAction }
  | { kind: "observation"; observation: AgentObservation }
  | { kind: "dead_letter"; cause: DeadLetterCause; identified: { actionId: string; agentId: string } | undefined };

export interface IntakeCodecs {
  action: AvroCodec<ProposedAction>;
  observation: AvroCodec<AgentObservation>;
}

export interface IntakeLimits {
  maxActionBytes: number;
  maxObservationBytes: number;
}

/**
 * First step for every message on the action topic: what record it is, its size limit, then decode.
 * The kind comes from the message's writer schema (its schema id's record name in the registry), not
 * from the `mandate-record` header, which anyone producing to the topic can set to anything. It
 * returns what happened instead of throwing; only a dependency outage (registry down) throws, so the
 * batch is retried rather than dead-lettered.
 */
export async function takeInRecord(
  message: KafkaMessage,
  codecs: IntakeCodecs,
  limits: IntakeLimits,
): Promise<IntakeResult> {
  const size = message.value?.length ?? 0;
  let recordName: string;
  try {
    recordName = await codecs.action.writerRecordName(message.value);
  } catch (error) {
    if (!(error instanceof UndecodableMessageError)) throw error;
    // Not even a schema id: it can only have been meant as an action, as before observations existed.
    if (size > limits.maxActionBytes) return tooLarge(message, "action", size, limits.maxActionBytes);
    return deadLetter(message, error.reason, error.message);
  }
  if (recordName === OBSERVATION_RECORD_NAME) return takeInObservation(message, codecs.observation, limits);
  if (size > limits.maxActionBytes) return tooLarge(message, "action", size, limits.maxActionBytes);
  if (recordName !== ACTION_RECORD_NAME) {
    return deadLetter(message, "invalid_record", `a ${recordName || "non-record"} schema on the action topic`);
  }
  try {
    const action = await codecs.action.decode(message.value);
    if (!action.action_id || !action.agent_id) {
      return deadLetter(message, "invalid_record", "action has an empty action_id or agent_id");
    }
    // NOTE: an agent's replay window, rate and baseline live with its partition, which its key picks: an
    // action keyed to another id lands where none of that is known (another validator, or a partition
    // restored from another part of the changelog), so a replayed envelope would look fresh there.
    if (message.key?.toString() !== action.agent_id) {
      return deadLetter(message, "key_mismatch", "action keyed by another id than its agent_id");
    }
    return { kind: "action", action };
  } catch (error) {
    if (error instanceof UndecodableMessageError) return deadLetter(message, error.reason, error.message);
    throw error;
  }
}

/**
 * An observation that cannot be taken is dead-lettered and nothing else: it decides no action, so it
 * never gets a verdict, whatever action id its headers claim.
 */
async function takeInObservation(
  message: KafkaMessage,
  codec: AvroCodec<AgentObservation>,
  limits: IntakeLimits,
): Promise<IntakeResult> {
  const size = message.value?.length ?? 0;
  if (size > limits.maxObservationBytes) {
    return observationDeadLetter(
      "too_large",
      `observation message is ${size} bytes; the limit is ${limits.maxObservationBytes}`,
    );
  }
  try {
    const observation = await codec.decode(message.value);
    if (!observation.observation_id || !observation.agent_id || !observation.session_id) {
      return observationDeadLetter("invalid_record", "observation has an empty observation_id, agent_id or session_id");
    }
    // NOTE: the key picks the partition, and only the partition orders it before the agent's next
    // proposal; one keyed to another agent may be read after that proposal, so it is not taken.
    if (message.key?.toString() !== observation.agent_id) {
      return observationDeadLetter("key_mismatch", "observation keyed by another id than its agent_id");
    }
    return { kind: "observation", observation };
  } catch (error) {
    if (error instanceof UndecodableMessageError) return observationDeadLetter(error.reason, error.message);
    throw error;
  }
}

/** An observation that cannot be used: dead-lettered under its own step, never given a verdict. */
export function observationDeadLetter(reason: string, detail: string): IntakeResult {
  return { kind: "dead_letter", cause: { step: "validator.observation", reason, detail }, identified: undefined };
}

function tooLarge(message: KafkaMessage, what: string, size: number, limit: number): IntakeResult {
  return deadLetter(message, "too_large", `${what} message is ${size} bytes; the limit is ${limit}`);
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

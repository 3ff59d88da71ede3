import type { Message } from "kafkajs";
import { type AvroCodec, RECORD_KIND_HEADER, type AgentObservation } from "@mandate/contracts";

/**
 * An observation as it goes on the actions topic, from the agent or an executor alike: keyed by its
 * agent, so it lands on that agent's partition in order with its proposals.
 */
export function observationMessage(codec: AvroCodec<AgentObservation>, observation: AgentObservation): Message {
  return {
    key: observation.agent_id,
    value: codec.encode(observation),
    headers: { [RECORD_KIND_HEADER]: "observation" },
  };
}

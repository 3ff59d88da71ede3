import type { ProposedAction } from "./action.js";
import { AvroCodec } from "./avro-codec.js";
import { mandateSchemas } from "./avro-schemas.js";
import type { DecisionRecord } from "./decision.js";
import type { ExecutionRecord } from "./execution.js";
import type { AgentObservation } from "./observation.js";
import type { PolicySetRecord } from "./policy-set-record.js";
import type { AgentRegistration } from "./registration.js";
import { openSchemaRegistry, type SchemaRegistryConnection } from "./schema-registry-connection.js";
import type { TopicNames } from "./topic-names.js";
import type { ValidatorKeyRecord } from "./validator-key.js";

/**
 * The wire contracts, registered under `<topic>-value` (Confluent's TopicNameStrategy), except the
 * observation: it shares the actions topic with the proposals (same key, same partition, so it is
 * ordered before the agent's next proposal), and a second record type on one topic is registered
 * under `<topic>-<record full name>` (TopicRecordNameStrategy). The action keeps `<topic>-value`.
 */
export interface MandateContracts {
  action: AvroCodec<ProposedAction>;
  decision: AvroCodec<DecisionRecord>;
  registration: AvroCodec<AgentRegistration>;
  policySet: AvroCodec<PolicySetRecord>;
  validatorKey: AvroCodec<ValidatorKeyRecord>;
  execution: AvroCodec<ExecutionRecord>;
  observation: AvroCodec<AgentObservation>;
}

/** The subject the observation schema is registered under on the actions topic. */
export function observationSubject(topics: TopicNames): string {
  return `${topics.actions}-${OBSERVATION_RECORD_NAME}`;
}

export const ACTION_RECORD_NAME = "dev.mandate.v1.ActionProposed";
export const OBSERVATION_RECORD_NAME = "dev.mandate.v1.AgentObservation";

/**
 * Opens the registry at `connection` (its URL, basic auth and CA, as every service config and SDK
 * option carries them) and registers every contract.
 */
export async function openContracts(
  connection: SchemaRegistryConnection,
  topics: TopicNames,
): Promise<MandateContracts> {
  const { registry, setCompatibility } = openSchemaRegistry(connection);
  const schemas = mandateSchemas();
  const contracts: MandateContracts = {
    action: new AvroCodec<ProposedAction>(registry, `${topics.actions}-value`, schemas.action),
    decision: new AvroCodec<DecisionRecord>(registry, `${topics.decisions}-value`, schemas.decision),
    registration: new AvroCodec<AgentRegistration>(registry, `${topics.registry}-value`, schemas.registration),
    policySet: new AvroCodec<PolicySetRecord>(registry, `${topics.policies}-value`, schemas.policySet),
    validatorKey: new AvroCodec<ValidatorKeyRecord>(registry, `${topics.validatorKeys}-value`, schemas.validatorKey),
    execution: new AvroCodec<ExecutionRecord>(registry, `${topics.executions}-value`, schemas.execution),
    observation: new AvroCodec<AgentObservation>(registry, observationSubject(topics), schemas.observation),
  };
  await contracts.action.register(setCompatibility);
  await contracts.decision.register(setCompatibility);
  await contracts.registration.register(setCompatibility);
  await contracts.policySet.register(setCompatibility);
  await contracts.validatorKey.register(setCompatibility);
  await contracts.execution.register(setCompatibility);
  await contracts.observation.register(setCompatibility);
  return contracts;
}

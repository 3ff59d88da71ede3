import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

// `src/` in the repository, `dist/` in the published package: both sit beside `avro/`.
const schemaDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../avro");

export type AvroSchemaJson = Record<string, unknown>;

export function readAvroSchema(file: string): AvroSchemaJson {
  return JSON.parse(fs.readFileSync(path.join(schemaDir, file), "utf8")) as AvroSchemaJson;
}

/**
 * The wire contracts. The decision record names `dev.mandate.v1.ActionProposed`; it is inlined
 * here so every registered schema is self-contained and any Confluent client can read it without
 * schema references.
 */
export function mandateSchemas(): {
  action: AvroSchemaJson;
  decision: AvroSchemaJson;
  registration: AvroSchemaJson;
  policySet: AvroSchemaJson;
  validatorKey: AvroSchemaJson;
  execution: AvroSchemaJson;
  observation: AvroSchemaJson;
} {
  const action = readAvroSchema("action-proposed.avsc");
  const decision = readAvroSchema("decision-record.avsc");
  const fields = (decision.fields as Array<{ name: string; type: unknown }>).map((field) =>
    field.type === "dev.mandate.v1.ActionProposed" ? { ...field, type: action } : field,
  );
  return {
    action,
    decision: { ...decision, fields },
    registration: readAvroSchema("agent-registration.avsc"),
    policySet: readAvroSchema("policy-set.avsc"),
    validatorKey: readAvroSchema("validator-key.avsc"),
    execution: readAvroSchema("execution-outcome.avsc"),
    observation: readAvroSchema("agent-observation.avsc"),
  };
}

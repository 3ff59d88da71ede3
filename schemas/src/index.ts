// The wire contracts of Mandate: the records, their Avro codecs and registry subjects, their canonical
// encodings, and the Ed25519 signatures over them.
export * from "./action.js";
export * from "./decision.js";
export * from "./observation.js";
export * from "./observation-output.js";
export * from "./registration.js";
export * from "./execution.js";
export * from "./policy-set-record.js";
export * from "./validator-key.js";
export * from "./topic-names.js";
export * from "./avro-schemas.js";
export * from "./avro-codec.js";
export * from "./schema-registry-connection.js";
export * from "./mandate-contracts.js";
export * from "./action-canonical.js";
export * from "./decision-canonical.js";
export * from "./ed25519.js";
export * from "./action-signing.js";
export * from "./verdict-verifier.js";
export * from "./errors.js";

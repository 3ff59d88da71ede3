import { z } from "zod";
import type { SchemaRegistryAuth, SchemaRegistryTls } from "@mandate/contracts";

/** Basic auth towards the schema registry; null: an open registry (a local one only). */
export const schemaRegistryAuthSchema = z
  .object({
    username: requiredText("required with a registry password (MANDATE_SCHEMA_REGISTRY_USERNAME)"),
    password: requiredText("required with a registry username (MANDATE_SCHEMA_REGISTRY_PASSWORD)"),
  })
  .nullable()
  .default(null) satisfies z.ZodType<SchemaRegistryAuth, unknown>;

/** The CA that signed an https registry's certificate; null: the system CAs. */
export const schemaRegistryTlsSchema = z
  .object({ caFile: z.string().min(1) })
  .nullable()
  .default(null) satisfies z.ZodType<SchemaRegistryTls, unknown>;

/**
 * Reads `MANDATE_SCHEMA_REGISTRY_USERNAME`, `MANDATE_SCHEMA_REGISTRY_PASSWORD` and
 * `MANDATE_SCHEMA_REGISTRY_CA_FILE`; unvalidated, for the two schemas above. A username without a
 * password (or the reverse) is passed on half-set, so the schema names the missing one.
 */
export function schemaRegistrySecurityFromEnv(env: NodeJS.ProcessEnv) {
  const username = env.MANDATE_SCHEMA_REGISTRY_USERNAME || undefined;
  const password = env.MANDATE_SCHEMA_REGISTRY_PASSWORD || undefined;
  const caFile = env.MANDATE_SCHEMA_REGISTRY_CA_FILE || undefined;
  return {
    schemaRegistryAuth: username === undefined && password === undefined ? null : { username, password },
    schemaRegistryTls: caFile === undefined ? null : { caFile },
  };
}

/** A non-empty string whose absence and emptiness both report `message` (which names the variable). */
function requiredText(message: string) {
  return z.string({ error: message }).min(1, message);
}

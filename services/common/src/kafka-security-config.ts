import { z } from "zod";
import type { KafkaSecurity } from "@mandate/sdk/kafka/kafka-security";
import { ConfigError } from "@mandate/contracts";

/**
 * How a client proves itself to the brokers and checks them: TLS (a CA to trust, optionally a client
 * certificate) and SASL (PLAIN or SCRAM). Both null: a plaintext, unauthenticated connection, which is
 * only for a local broker. What the SDK's `KafkaSecurity` describes, checked here with every problem named.
 */
export const kafkaSecuritySchema = z.object({
  tls: z
    .object({
      /** PEM file of the CA that signed the brokers' certificates; the system CAs when omitted. */
      caFile: z.string().min(1).optional(),
      /** PEM client certificate and key, for brokers that require TLS client authentication. */
      certFile: z.string().min(1).optional(),
      keyFile: z.string().min(1).optional(),
    })
    .refine((tls) => (tls.certFile === undefined) === (tls.keyFile === undefined), {
      message:
        "a client certificate needs both certFile and keyFile (MANDATE_KAFKA_TLS_CERT_FILE and MANDATE_KAFKA_TLS_KEY_FILE)",
    })
    .nullable()
    .default(null),
  sasl: z
    .object({
      mechanism: z.enum(["plain", "scram-sha-256", "scram-sha-512"], {
        error: "expected plain, scram-sha-256 or scram-sha-512 (MANDATE_KAFKA_SASL_MECHANISM)",
      }),
      username: requiredText("required with SASL (MANDATE_KAFKA_SASL_USERNAME)"),
      password: requiredText("required with SASL (MANDATE_KAFKA_SASL_PASSWORD)"),
    })
    .nullable()
    .default(null),
  // Checked against the interface the SDK's Kafka client takes, so the two cannot drift apart.
}) satisfies z.ZodType<KafkaSecurity, unknown>;

/**
 * Reads `MANDATE_KAFKA_TLS` (true/false; implied by any TLS file), `MANDATE_KAFKA_TLS_CA_FILE`,
 * `MANDATE_KAFKA_TLS_CERT_FILE`, `MANDATE_KAFKA_TLS_KEY_FILE`, `MANDATE_KAFKA_SASL_MECHANISM`,
 * `MANDATE_KAFKA_SASL_USERNAME` and `MANDATE_KAFKA_SASL_PASSWORD`; unvalidated, for `kafkaSecuritySchema`.
 */
export function kafkaSecurityFromEnv(env: NodeJS.ProcessEnv): unknown {
  const files = {
    caFile: env.MANDATE_KAFKA_TLS_CA_FILE || undefined,
    certFile: env.MANDATE_KAFKA_TLS_CERT_FILE || undefined,
    keyFile: env.MANDATE_KAFKA_TLS_KEY_FILE || undefined,
  };
  const anyFile = Object.values(files).some((f) => f !== undefined);
  const tlsFlag = env.MANDATE_KAFKA_TLS?.trim().toLowerCase() || undefined;
  if (tlsFlag !== undefined && tlsFlag !== "true" && tlsFlag !== "false") {
    // Thrown rather than read as false: a typo here would otherwise send the SASL password in the clear.
    throw new ConfigError(`MANDATE_KAFKA_TLS must be true or false, not ${JSON.stringify(env.MANDATE_KAFKA_TLS)}`);
  }
  const tls = tlsFlag === "false" ? null : tlsFlag === "true" || anyFile ? files : null;
  const mechanism = env.MANDATE_KAFKA_SASL_MECHANISM?.trim().toLowerCase();
  const sasl =
    mechanism || env.MANDATE_KAFKA_SASL_USERNAME || env.MANDATE_KAFKA_SASL_PASSWORD
      ? { mechanism, username: env.MANDATE_KAFKA_SASL_USERNAME, password: env.MANDATE_KAFKA_SASL_PASSWORD }
      : null;
  return { tls, sasl };
}

/** A non-empty string whose absence and emptiness both report `message` (which names the variable). */
function requiredText(message: string) {
  return z.string({ error: message }).min(1, message);
}

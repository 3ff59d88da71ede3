import fs from "node:fs";
import type { SASLOptions } from "kafkajs";
import type { ConnectionOptions as TlsConnectionOptions } from "node:tls";
import { z } from "zod";
import { ConfigError } from "./errors.js";

/**
 * How a client proves itself to the brokers and checks them: TLS (a CA to trust, optionally a client
 * certificate) and SASL (PLAIN or SCRAM). Both null: a plaintext, unauthenticated connection, which is
 * only for a local broker.
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
});

export type KafkaSecurity = z.infer<typeof kafkaSecuritySchema>;

/** Where a client connects and how: what `createKafka` takes (every service config and SDK option has both). */
export interface KafkaConnection {
  kafkaBrokers: string[];
  kafkaSecurity?: KafkaSecurity;
}

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

/** The kafkajs `ssl` and `sasl` options for `security`; reads the PEM files once, here. */
export function kafkaClientSecurity(security: KafkaSecurity | undefined): {
  ssl?: boolean | TlsConnectionOptions;
  sasl?: SASLOptions;
} {
  if (security === undefined) return {};
  const { tls, sasl } = security;
  const ssl =
    tls === null
      ? undefined
      : {
          ...(tls.caFile === undefined ? {} : { ca: [readPem(tls.caFile, "CA")] }),
          ...(tls.certFile === undefined ? {} : { cert: readPem(tls.certFile, "client certificate") }),
          ...(tls.keyFile === undefined ? {} : { key: readPem(tls.keyFile, "client key") }),
        };
  return {
    ...(ssl === undefined ? {} : { ssl }),
    ...(sasl === null
      ? {}
      : { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions }),
  };
}

function readPem(file: string, what: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`cannot read the Kafka TLS ${what} ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** A non-empty string whose absence and emptiness both report `message` (which names the variable). */
function requiredText(message: string) {
  return z.string({ error: message }).min(1, message);
}

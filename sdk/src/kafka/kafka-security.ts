import fs from "node:fs";
import type { SASLOptions } from "kafkajs";
import type { ConnectionOptions as TlsConnectionOptions } from "node:tls";

/**
 * How a client proves itself to the brokers and checks them: TLS (a CA to trust, optionally a client
 * certificate) and SASL (PLAIN or SCRAM). Both null: a plaintext, unauthenticated connection, which is
 * only for a local broker. Taken as given here; the services check what they read from the environment
 * with a zod schema of their own.
 */
export interface KafkaSecurity {
  tls: {
    /** PEM file of the CA that signed the brokers' certificates; the system CAs when omitted. */
    caFile?: string;
    /** PEM client certificate and key, for brokers that require TLS client authentication; both or neither. */
    certFile?: string;
    keyFile?: string;
  } | null;
  sasl: { mechanism: "plain" | "scram-sha-256" | "scram-sha-512"; username: string; password: string } | null;
}

/** Where a client connects and how: what `createKafka` takes (every service config and SDK option has both). */
export interface KafkaConnection {
  kafkaBrokers: string[];
  kafkaSecurity?: KafkaSecurity;
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

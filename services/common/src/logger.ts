import { pino, type DestinationStream, type Logger, type LoggerOptions } from "pino";

export type { Logger };

/**
 * Field names whose values are secrets: censored in log lines here, and masked (as a name's ending,
 * e.g. `reviewToken`) in what `--check-config` prints (run-service.ts).
 */
export const SECRET_FIELDS = [
  "password",
  "token",
  "secret",
  "redactionKeyHex",
  "privateKey",
  "apiKey",
  "authorization",
  "cookie",
];

/**
 * The connection's secrets that sit deeper than one level (`kafkaSecurity.sasl.password`, the kafkajs
 * `sasl` and `ssl` options), on their own or under `config` or `connection`. Spelled out rather than
 * found by a deeper wildcard: fixed paths cost nothing measurable on a line that lacks them.
 */
const CONNECTION_SECRETS = ["kafkaSecurity.sasl.password", "schemaRegistryAuth.password", "clickhouse.password"];
const CONNECTION_SECRET_PATHS = [
  "sasl.password",
  "ssl.key",
  ...CONNECTION_SECRETS,
  ...CONNECTION_SECRETS.flatMap((path) => [`config.${path}`, `connection.${path}`]),
];

/**
 * Where those fields are censored: at the top of a line and one object down (`config.password`,
 * `headers.authorization`), and the connection's secrets where they sit deeper. Any other secret
 * deeper than that is not found, so no line carries a whole configuration.
 *
 * NOTE: pino walks every wildcard level on every line it writes; searching two levels down made a
 * line ten times dearer (40 µs against 4), one level three times.
 */
export const LOG_REDACTION: NonNullable<LoggerOptions["redact"]> = {
  paths: [...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`]), ...CONNECTION_SECRET_PATHS],
  censor: "[redacted]",
};

/** JSON logs with stable event names in `event`; never secrets or raw payloads. */
export function createLogger(service: string, level: string = "info", destination?: DestinationStream): Logger {
  const options: LoggerOptions = { name: service, level, base: { service }, redact: LOG_REDACTION };
  return destination ? pino(options, destination) : pino(options);
}

import { pino, type Logger } from "pino";

export type { Logger };

/** JSON logs with stable event names in `event`; never secrets or raw payloads. */
export function createLogger(service: string, level: string = "info"): Logger {
  return pino({ name: service, level, base: { service } });
}

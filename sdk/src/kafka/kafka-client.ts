import { Kafka, logLevel, type LogEntry } from "kafkajs";
import { kafkaClientSecurity, type KafkaConnection } from "./kafka-security.js";
import type { Logger } from "./logger.js";

const levels: Record<number, "error" | "warn" | "info" | "debug"> = {
  [logLevel.ERROR]: "error",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "info",
  [logLevel.DEBUG]: "debug",
};

/** A kafkajs client whose own logs go to `logger` at warn and above (its info lines are per-connection noise). */
export function createKafka(connection: KafkaConnection, clientId: string, logger: Logger): Kafka {
  return new Kafka({
    brokers: connection.kafkaBrokers,
    ...kafkaClientSecurity(connection.kafkaSecurity),
    clientId,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...rest } = log;
        // kafkajs logs every error response from the broker, and every retry, at ERROR before it
        // retries the request (a topic a KRaft broker has not finished creating, a coordinator still
        // loading, a transaction still busy): warnings. What finally fails reaches the caller.
        const routine = level === logLevel.ERROR && (message.startsWith("Response ") || "retryCount" in rest);
        logger[routine ? "warn" : (levels[level] ?? "info")]({ event: "kafka_client", ...rest }, message);
      },
    // No retry count here: kafkajs keeps idempotent producers retrying indefinitely, which their guarantees need.
    retry: { initialRetryTime: 100 },
  });
}

import { Kafka, logLevel, type LogEntry } from "kafkajs";
import { kafkaClientSecurity, type KafkaConnection } from "./kafka-security.js";
import type { Logger } from "./logger.js";

const levels: Record<number, "error" | "warn" | "info" | "debug"> = {
  [logLevel.ERROR]: "error",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "info",
  [logLevel.DEBUG]: "debug",
};

/** How kafkajs 2.2.4 words the broker's CONCURRENT_TRANSACTIONS. */
const BUSY_TRANSACTION = "another concurrent operation on the same transaction";

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
        // A transaction begun while the coordinator still writes the previous commit's markers: retried
        // within milliseconds, and under load for many of a validator's transactions.
        const busy = routine && [message, rest.error].some((text) => String(text).includes(BUSY_TRANSACTION));
        logger[busy ? "debug" : routine ? "warn" : (levels[level] ?? "info")](
          { event: "kafka_client", ...rest },
          message,
        );
      },
    // No retry count here: kafkajs keeps idempotent producers retrying indefinitely, which their guarantees need.
    retry: { initialRetryTime: 100 },
  });
}

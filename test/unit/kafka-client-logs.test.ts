import { describe, expect, it } from "vitest";
import { createKafka } from "@mandate/sdk/kafka/kafka-client";
import type { Logger } from "@mandate/sdk/kafka/logger";

/** kafkajs's own log lines, as createKafka hands them to `logger`: level and message of each. */
function clientLogs() {
  const lines: Array<{ level: string; message: string }> = [];
  const record = (level: string) => (_fields: Record<string, unknown>, message: string) =>
    void lines.push({ level, message });
  const logger: Logger = {
    fatal: record("fatal"),
    error: record("error"),
    warn: record("warn"),
    info: record("info"),
    debug: record("debug"),
  };
  const kafka = createKafka({ kafkaBrokers: ["127.0.0.1:1"] }, "test", logger);
  return { lines, kafkajs: kafka.logger() };
}

const busy =
  "The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing";

describe("kafkajs's log lines", () => {
  it("are debug for a transaction retried while the coordinator finishes the previous commit", () => {
    const { lines, kafkajs } = clientLogs();
    kafkajs.error("Response AddPartitionsToTxn(key: 24, version: 1)", { error: busy, correlationId: 7 });
    kafkajs.error(`Failed to send messages: ${busy}`, { retryCount: 0, retryTime: 2 });
    expect(lines.map((l) => l.level)).toEqual(["debug", "debug"]);
  });

  it("are warnings for other retried errors, and errors for what is not retried", () => {
    const { lines, kafkajs } = clientLogs();
    kafkajs.error("Response Produce(key: 0, version: 7)", {
      error: "This server is not the leader for that topic-partition",
    });
    kafkajs.error("Crash: KafkaJSNumberOfRetriesExceeded", { groupId: "g" });
    expect(lines.map((l) => l.level)).toEqual(["warn", "error"]);
  });
});

import type { Consumer } from "kafkajs";
import type { Logger } from "./logger.js";

/**
 * kafkajs restarts a crashed consumer only when the error is retriable; after others (no broker
 * available once retries ran out, a producer stuck in a failed transaction) the consumer stays
 * dead while the process lives on. This watches for those crashes and calls `recover` — which
 * rebuilds the consumer (and whatever else the crash may have broken) — with backoff until it
 * succeeds. Nothing is lost meanwhile: offsets are only committed after an effect is durable.
 */
export function superviseConsumer(consumer: Consumer, recover: () => Promise<void>, logger: Logger): void {
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart) return;
    logger.error(
      { event: "consumer_crashed", group_id: payload.groupId, err: payload.error },
      "consumer crashed; rebuilding it",
    );
    void recoverWithBackoff(recover, logger);
  });
}

async function recoverWithBackoff(recover: () => Promise<void>, logger: Logger): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await recover();
      logger.info({ event: "consumer_recovered", attempt }, "consumer rebuilt and running");
      return;
    } catch (error) {
      const delay = Math.min(30_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
      logger.warn(
        { event: "consumer_recovery_failed", attempt, retry_in_ms: Math.round(delay), err: error },
        "retrying",
      );
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

import type { Consumer } from "kafkajs";
import { isRetriable } from "@mandate/contracts";
import type { Logger } from "./logger.js";

/**
 * What the supervised consumer is doing: consuming, being rebuilt after a crash (not consuming
 * meanwhile: /readyz should answer 503), or given up on after a failure no retry can end.
 */
export type ConsumerState = "running" | "rebuilding" | "failed";

/**
 * kafkajs restarts a crashed consumer only when the error is retriable; after others (no broker
 * available once retries ran out, a producer stuck in a failed transaction) the consumer stays
 * dead while the process lives on. This watches for those crashes and calls `recover` — which
 * rebuilds the consumer (and whatever else the crash may have broken) — with backoff until it
 * succeeds, or until it fails with an error that is not retriable (errors.ts: isRetriable).
 * Nothing is lost meanwhile: offsets are only committed after an effect is durable.
 *
 * `onState` hears "rebuilding" at the crash, then "running" once rebuilt or "failed". When `recover`
 * supervises the consumer it builds with the same `onState`, one callback follows every rebuild.
 */
export function superviseConsumer(
  consumer: Consumer,
  recover: () => Promise<void>,
  logger: Logger,
  onState: (state: ConsumerState) => void = () => undefined,
): void {
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart) return;
    logger.error(
      { event: "consumer_crashed", group_id: payload.groupId, err: payload.error },
      "consumer crashed; rebuilding it",
    );
    onState("rebuilding");
    void recoverWithBackoff(recover, logger).then(onState);
  });
}

async function recoverWithBackoff(recover: () => Promise<void>, logger: Logger): Promise<ConsumerState> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await recover();
      logger.info({ event: "consumer_recovered", attempt }, "consumer rebuilt and running");
      return "running";
    } catch (error) {
      if (!isRetriable(error)) {
        logger.fatal(
          { event: "consumer_recovery_abandoned", attempt, err: error },
          "the consumer cannot be rebuilt until this is fixed; it stays stopped",
        );
        return "failed";
      }
      const delay = Math.min(30_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
      logger.warn(
        { event: "consumer_recovery_failed", attempt, retry_in_ms: Math.round(delay), err: error },
        "retrying",
      );
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

import { EventEmitter } from "node:events";
import { ClickHouseError } from "@clickhouse/client";
import type { Consumer } from "kafkajs";
import { describe, expect, it, vi } from "vitest";
import { ClickHouseRequestError } from "@mandate/sink/clickhouse-error";
import { superviseConsumer, type ConsumerState } from "@mandate/sdk/kafka/consumer-supervisor";
import { ConfigError, DependencyUnavailableError, UndecodableMessageError, isRetriable } from "@mandate/contracts";
import type { Logger } from "@mandate/common/logger";
import { TrailWriter } from "@mandate/sink/trail-writer";

function serverError(code: number, type: string): ClickHouseError {
  return new ClickHouseError({
    message: `Code: ${code}. DB::Exception: something. (${type})`,
    code: String(code),
    type,
  });
}

/** A logger that keeps what each level was given. */
function recordingLogger() {
  const calls: Record<"info" | "warn" | "error" | "fatal", Array<Record<string, unknown>>> = {
    info: [],
    warn: [],
    error: [],
    fatal: [],
  };
  const logger = Object.fromEntries(
    (Object.keys(calls) as Array<keyof typeof calls>).map((level) => [
      level,
      (fields: Record<string, unknown>) => calls[level].push(fields),
    ]),
  ) as unknown as Logger;
  return { logger, calls };
}

describe("the retriable flag", () => {
  it("is read from Mandate errors, and anything else is a dependency that did not answer", () => {
    expect(isRetriable(new DependencyUnavailableError("registry down"))).toBe(true);
    expect(isRetriable(new ConfigError("bad"))).toBe(false);
    expect(isRetriable(new UndecodableMessageError("not_avro", "no magic byte"))).toBe(false);
    expect(isRetriable(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))).toBe(true);
  });
});

describe("ClickHouse errors", () => {
  it("are classified by the server's code, not by the text of the message", () => {
    const overloaded = ClickHouseRequestError.from(serverError(241, "MEMORY_LIMIT_EXCEEDED"));
    expect(overloaded).toMatchObject({ code: 241, type: "MEMORY_LIMIT_EXCEEDED", retriable: true });
    expect(ClickHouseRequestError.from(serverError(252, "TOO_MANY_PARTS")).retriable).toBe(true);
    const missing = ClickHouseRequestError.from(serverError(60, "UNKNOWN_TABLE"));
    expect(missing).toMatchObject({ code: 60, type: "UNKNOWN_TABLE", retriable: false });
    expect(ClickHouseRequestError.from(serverError(516, "AUTHENTICATION_FAILED")).retriable).toBe(false);
    // A message that reads like an outage does not make a type mismatch retriable.
    const misleading = new ClickHouseError({ message: "timeout, network error", code: "53", type: "TYPE_MISMATCH" });
    expect(ClickHouseRequestError.from(misleading).retriable).toBe(false);
  });

  it("without a server code mean no server answered, which is retriable", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8123"), { code: "ECONNREFUSED" });
    expect(ClickHouseRequestError.from(refused)).toMatchObject({ code: undefined, retriable: true });
    expect(ClickHouseRequestError.from(new Error("Timeout error.")).retriable).toBe(true);
  });
});

describe("the trail writer", () => {
  const keepAlive = async () => undefined;

  it("backs off from a retriable failure as from an outage, with a warning", async () => {
    const { logger, calls } = recordingLogger();
    const writer = new TrailWriter({} as never, logger, 10);
    const work = vi.fn().mockRejectedValueOnce(serverError(202, "TOO_MANY_SIMULTANEOUS_QUERIES")).mockResolvedValue(7);
    const done = await writer.untilDone({ event: "trail_insert_failed" }, work, keepAlive, () => true);
    expect(done).toEqual({ value: 7 });
    expect(calls.warn).toEqual([expect.objectContaining({ code: 202, retriable: true })]);
    expect(calls.error).toEqual([]);
    expect(writer.degraded).toBe(false);
  });

  it("reports a rejection as an error that needs an operator, and waits the longest delay before trying again", async () => {
    const { logger, calls } = recordingLogger();
    const writer = new TrailWriter({} as never, logger, 10);
    const work = vi.fn().mockRejectedValue(serverError(60, "UNKNOWN_TABLE"));
    let attempts = 0;
    const done = await writer.untilDone({ event: "trail_insert_failed" }, work, keepAlive, () => ++attempts < 2);
    expect(done).toBeUndefined();
    expect(calls.warn).toEqual([]);
    expect(calls.error).toEqual([
      expect.objectContaining({ code: 60, type: "UNKNOWN_TABLE", retriable: false, retry_in_ms: 10 }),
      expect.objectContaining({ attempt: 1, retriable: false }),
    ]);
    // Nothing was stored and nothing committed: the sink stays degraded (and /readyz 503).
    expect(writer.degraded).toBe(true);
  });
});

describe("the consumer supervisor", () => {
  function crashingConsumer() {
    const emitter = new EventEmitter();
    const consumer = {
      events: { CRASH: "consumer.crash" },
      on: (event: string, listener: (e: unknown) => void) => emitter.on(event, listener),
    } as unknown as Consumer;
    const crash = () =>
      emitter.emit("consumer.crash", { payload: { restart: false, groupId: "g", error: new Error("gone") } });
    return { consumer, crash };
  }

  it("says the consumer is rebuilding from the crash until it runs again", async () => {
    const { logger } = recordingLogger();
    const { consumer, crash } = crashingConsumer();
    const states: ConsumerState[] = [];
    let finish!: () => void;
    const recover = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    superviseConsumer(consumer, recover, logger, (state) => states.push(state));
    crash();
    expect(states).toEqual(["rebuilding"]);
    await vi.waitFor(() => expect(recover).toHaveBeenCalled());
    finish();
    await vi.waitFor(() => expect(states).toEqual(["rebuilding", "running"]));
  });

  it("keeps rebuilding after a retriable failure and gives up at one that is not", async () => {
    const { logger, calls } = recordingLogger();
    const { consumer, crash } = crashingConsumer();
    const states: ConsumerState[] = [];
    const recover = vi
      .fn<() => Promise<void>>()
      .mockRejectedValueOnce(new DependencyUnavailableError("registry down"))
      .mockRejectedValueOnce(new ConfigError("the signing key file is gone"));
    superviseConsumer(consumer, recover, logger, (state) => states.push(state));
    crash();
    await vi.waitFor(() => expect(states).toEqual(["rebuilding", "failed"]), { timeout: 5_000 });
    expect(recover).toHaveBeenCalledTimes(2);
    expect(calls.warn).toEqual([expect.objectContaining({ event: "consumer_recovery_failed" })]);
    expect(calls.fatal).toEqual([expect.objectContaining({ event: "consumer_recovery_abandoned", attempt: 1 })]);
  });
});

import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "@mandate/common/logger";
import { silentLogger, warningsToStderr, type Logger } from "@mandate/sdk";

describe("the SDK's logger", () => {
  afterEach(() => vi.restoreAllMocks());

  it("by default writes warnings and errors to stderr as JSON lines, and never anything to stdout", () => {
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const logger = warningsToStderr("agent-sdk");

    logger.info({ event: "action_executed" }, "executed");
    logger.debug({ event: "detail" }, "detail");
    logger.warn({ event: "decision_slow", action_id: "a-1" }, "slow");
    logger.error({ event: "result_unpublished", err: new TypeError("broker gone") }, "unpublished");

    expect(stdout).not.toHaveBeenCalled();
    const lines = stderr.mock.calls.map(([chunk]) => JSON.parse(String(chunk)) as Record<string, unknown>);
    expect(lines).toMatchObject([
      { level: "warn", name: "agent-sdk", event: "decision_slow", action_id: "a-1", msg: "slow" },
      { level: "error", event: "result_unpublished", err: { type: "TypeError", message: "broker gone" } },
    ]);
  });

  it("can say nothing, and takes a service's pino logger as it is", () => {
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    silentLogger.error({ event: "anything" }, "nothing");
    expect(stderr).not.toHaveBeenCalled();

    const pino: Logger = createLogger("mcp-gateway", "silent");
    expect(typeof pino.warn).toBe("function");
  });
});

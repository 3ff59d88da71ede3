import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "@mandate/common/logger";

function capture(): { lines: Array<Record<string, unknown>>; stream: Writable } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

describe("logger", () => {
  it("censors passwords, keys and tokens wherever a line carries them, and nothing else", () => {
    const { lines, stream } = capture();
    const logger = createLogger("sink", "info", stream);
    logger.info(
      {
        event: "config_loaded",
        password: "top-level",
        clickhouse: { mode: "server", password: "nested" },
        config: { redactionKeyHex: "ab".repeat(32) },
        headers: { authorization: "Bearer abc", cookie: "session=1" },
        review: { token: "reviewer-token", secret: "s" },
        key: "agent-7",
      },
      "loaded",
    );
    const [line] = lines;
    expect(JSON.stringify(line)).not.toMatch(/top-level|nested|abab|Bearer|session=1|reviewer-token/);
    expect(line).toMatchObject({
      event: "config_loaded",
      password: "[redacted]",
      clickhouse: { mode: "server", password: "[redacted]" },
      config: { redactionKeyHex: "[redacted]" },
      headers: { authorization: "[redacted]", cookie: "[redacted]" },
      review: { token: "[redacted]", secret: "[redacted]" },
      // A message key is an agent id, not a secret.
      key: "agent-7",
    });
  });
});

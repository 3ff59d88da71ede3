import { afterEach, describe, expect, it, vi } from "vitest";
import { maskSecrets, runService } from "@mandate/common/run-service";
import { sinkConfigFromEnv } from "@mandate/sink/sink-config";
import { validatorConfigFromEnv } from "@mandate/validator/validator-config";

const PASSWORD = "hunter2-clickhouse";
const REDACTION_KEY = "ab".repeat(32);

/** What `--check-config` prints for a configuration. */
async function checkConfigOutput(loadConfig: () => unknown): Promise<string> {
  const written: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  const start = vi.fn();
  await runService("svc", ["--check-config"], loadConfig, start);
  expect(start).not.toHaveBeenCalled();
  return written.join("");
}

describe("--check-config", () => {
  afterEach(() => vi.restoreAllMocks());

  it("prints the sink's configuration without the ClickHouse password, in its field or its URL", async () => {
    const output = await checkConfigOutput(() =>
      sinkConfigFromEnv({
        CLICKHOUSE_URL: `http://writer:${PASSWORD}@127.0.0.1:8123`,
        CLICKHOUSE_USER: "writer",
        CLICKHOUSE_PASSWORD: PASSWORD,
      }),
    );
    expect(output).toContain("svc: configuration is valid");
    expect(output).not.toContain(PASSWORD);
    expect(output).toContain('"password": "[redacted]"');
    expect(output).toContain("http://writer:[redacted]@127.0.0.1:8123");
    expect(output).toContain('"username": "writer"');
  });

  it("prints the validator's configuration without its redaction key", async () => {
    const output = await checkConfigOutput(() => validatorConfigFromEnv({ MANDATE_REDACTION_KEY: REDACTION_KEY }));
    expect(output).not.toContain(REDACTION_KEY);
    expect(output).toContain('"redactionKeyHex": "[redacted]"');
  });
});

describe("maskSecrets", () => {
  it("masks secret fields at any depth and keeps paths to secret files and topic names", () => {
    const masked = maskSecrets({
      password: "p",
      nested: { reviewToken: "t", clientSecret: "s", list: [{ apiKey: "k" }] },
      signingKeyPath: "/etc/mandate/key.pem",
      tokensFile: "/etc/mandate/tokens.yaml",
      topics: { validatorKeys: "mandate.validator-keys" },
      unset: undefined,
      url: "http://127.0.0.1:8123",
    });
    expect(masked).toEqual({
      password: "[redacted]",
      nested: { reviewToken: "[redacted]", clientSecret: "[redacted]", list: [{ apiKey: "[redacted]" }] },
      signingKeyPath: "/etc/mandate/key.pem",
      tokensFile: "/etc/mandate/tokens.yaml",
      topics: { validatorKeys: "mandate.validator-keys" },
      unset: undefined,
      url: "http://127.0.0.1:8123",
    });
  });
});

import { describe, expect, it } from "vitest";
import { ConfigError } from "@mandate/contracts";
import { sinkConfigFromEnv } from "@mandate/sink/sink-config";
import { validatorConfigFromEnv } from "@mandate/validator/validator-config";

describe("service configuration", () => {
  it("reports every problem at once", () => {
    let error: unknown;
    try {
      validatorConfigFromEnv({
        MANDATE_KAFKA_BROKERS: "no-port-here",
        MANDATE_SCHEMA_REGISTRY_URL: "not a url",
        MANDATE_VALIDATOR_ID: "has spaces",
        MANDATE_MAX_ACTION_BYTES: "12",
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const field of ["kafkaBrokers.0", "schemaRegistryUrl", "validatorId", "maxActionBytes"]) {
      expect(message).toContain(field);
    }
  });

  it("refuses a retention for actions, which are a view of the decisions, and says what to set", () => {
    expect(() => sinkConfigFromEnv({ MANDATE_TRAIL_RETENTION_DAYS_ACTIONS: "30" })).toThrow(
      /MANDATE_TRAIL_RETENTION_DAYS_ACTIONS.*MANDATE_TRAIL_RETENTION_DAYS_DECISIONS/s,
    );
    expect(sinkConfigFromEnv({ MANDATE_TRAIL_RETENTION_DAYS_DECISIONS: "30" }).retentionDays).toEqual({
      decisions: 30,
    });
  });

  it("defaults to the embedded trail, and to a server when CLICKHOUSE_URL is set", () => {
    expect(sinkConfigFromEnv({}).clickhouse).toEqual({ mode: "embedded", path: ".data/chdb" });
    expect(sinkConfigFromEnv({ CLICKHOUSE_URL: "http://127.0.0.1:8123" }).clickhouse).toMatchObject({
      mode: "server",
      url: "http://127.0.0.1:8123",
    });
  });
});

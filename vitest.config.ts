import { defineConfig } from "vitest/config";

/**
 * `unit`: no infrastructure. `integration`: one shared local stack (real Kafka broker, real schema
 * registry, real clickhouse-server) started by test/support/global-infrastructure.ts; each suite
 * isolates itself with random topic names and its own ClickHouse database.
 */
export default defineConfig({
  test: {
    // Two cores: integration suites share one broker, and running two files at a time keeps it responsive.
    maxWorkers: 2,
    minWorkers: 1,
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "integration",
          include: [
            "test/integration/**/*.test.ts",
            "test/e2e/**/*.test.ts",
            "test/fault/**/*.test.ts",
            "test/security/**/*.test.ts",
          ],
          globalSetup: ["test/support/global-infrastructure.ts"],
          testTimeout: 120_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});

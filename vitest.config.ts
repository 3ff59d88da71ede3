import { defaultClientConditions, defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

/**
 * Workspace packages resolve to their TypeScript sources (each package.json's `exports`), before Vite's
 * own conditions. Given to each project: an inline project inherits nothing from the root config.
 */
const fromSource = {
  resolve: { conditions: ["mandate-source", ...defaultClientConditions] },
  ssr: { resolve: { conditions: ["mandate-source", ...defaultServerConditions] } },
};

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
        ...fromSource,
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          testTimeout: 30_000,
        },
      },
      {
        ...fromSource,
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

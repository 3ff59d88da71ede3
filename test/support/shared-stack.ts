import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { inject } from "vitest";
import type { InfraStack } from "../../infra/src/infra-stack.js";

/** The run's shared stack, as a suite sees it. `stop` is a no-op: the global teardown owns it. */
export function sharedStack(clickhouse: "server" | "embedded" = "server"): InfraStack & { cleanup(): void } {
  const embeddedDir =
    clickhouse === "embedded" ? fs.mkdtempSync(path.join(os.tmpdir(), "mandate-test-chdb-")) : undefined;
  return {
    kafkaBrokers: inject("kafkaBrokers"),
    schemaRegistryUrl: inject("schemaRegistryUrl"),
    clickhouse: embeddedDir
      ? { mode: "embedded", path: embeddedDir }
      : { mode: "server", url: inject("clickhouseUrl") },
    async stop() {},
    cleanup() {
      if (embeddedDir) fs.rmSync(embeddedDir, { recursive: true, force: true });
    },
  };
}

/** A ClickHouse database name of its own for each suite. */
export function isolatedDatabase(tag: string): string {
  return `mandate_${tag}_${Math.random().toString(36).slice(2, 8)}`.replace(/[^A-Za-z0-9_]/g, "_");
}

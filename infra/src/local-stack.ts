import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ClickHouseServerProcess } from "./clickhouse-server-process.js";
import type { ClickHouseTarget } from "../../services/common/src/clickhouse-target.js";
import type { InfraStack, StackOptions } from "./infra-stack.js";
import { infraConfig } from "./infra-config.js";
import { KafkaBroker } from "./kafka-broker.js";
import { timedStep } from "./progress.js";
import { SchemaRegistryProcess } from "./schema-registry-process.js";

export interface LocalStack extends InfraStack {
  broker: KafkaBroker;
  registry: SchemaRegistryProcess;
  clickhouseServer: ClickHouseServerProcess | undefined;
  /** Process ids of every running part, so tests can check nothing outlives `stop`. */
  processIds(): number[];
}

/**
 * Starts Kafka, the schema registry and (optionally) ClickHouse as local processes on free ports in
 * their own temporary directories, so several stacks can run side by side.
 */
export async function startLocalStack(options: StackOptions): Promise<LocalStack> {
  const started: Array<{ destroy(): Promise<void> }> = [];
  try {
    const [broker, registry, clickhouseServer] = await Promise.all([
      timedStep("starting Kafka broker (KRaft)", () => KafkaBroker.start()).then((b) => (started.push(b), b)),
      timedStep("starting schema registry", () => SchemaRegistryProcess.start()).then((r) => (started.push(r), r)),
      options.clickhouse === "server"
        ? timedStep("starting clickhouse-server", () => ClickHouseServerProcess.start()).then(
            (c) => (started.push(c), c),
          )
        : Promise.resolve(undefined),
    ]);
    let embeddedDir: string | undefined;
    let clickhouse: ClickHouseTarget | undefined;
    if (clickhouseServer) clickhouse = { mode: "server", url: clickhouseServer.url };
    if (options.clickhouse === "embedded") {
      embeddedDir = fs.mkdtempSync(path.join(os.tmpdir(), "mandate-chdb-"));
      clickhouse = { mode: "embedded", path: embeddedDir };
    }
    return {
      broker,
      registry,
      clickhouseServer,
      kafkaBrokers: [broker.bootstrap],
      schemaRegistryUrl: registry.url,
      clickhouse,
      processIds: () => [broker.pid, registry.pid, clickhouseServer?.pid].filter((p): p is number => p !== undefined),
      async stop() {
        await Promise.all(started.map((part) => part.destroy()));
        if (embeddedDir && !infraConfig().MANDATE_KEEP_INFRA_DIRS)
          fs.rmSync(embeddedDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.allSettled(started.map((part) => part.destroy()));
    throw error;
  }
}

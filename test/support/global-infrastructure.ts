import type { TestProject } from "vitest/node";
import type { InfraStack } from "../../infra/src/infra-stack.js";
import { startTestInfrastructure } from "../../infra/src/test-infrastructure.js";

let stack: InfraStack | undefined;

/** One real stack for every integration suite in the run, stopped when the run ends. */
export async function setup(project: TestProject): Promise<void> {
  stack = await startTestInfrastructure({ clickhouse: "server" });
  if (stack.clickhouse?.mode !== "server") throw new Error("integration tests need a ClickHouse server");
  project.provide("kafkaBrokers", stack.kafkaBrokers);
  project.provide("schemaRegistryUrl", stack.schemaRegistryUrl);
  project.provide("clickhouseUrl", stack.clickhouse.url);
}

export async function teardown(): Promise<void> {
  await stack?.stop();
}

declare module "vitest" {
  export interface ProvidedContext {
    kafkaBrokers: string[];
    schemaRegistryUrl: string;
    clickhouseUrl: string;
  }
}

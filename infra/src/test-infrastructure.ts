import { spawnSync } from "node:child_process";
import { startDockerStack } from "./docker-stack.js";
import type { InfraStack, StackOptions } from "./infra-stack.js";
import { infraConfig } from "./infra-config.js";
import { startLocalStack } from "./local-stack.js";
import { progress } from "./progress.js";

/**
 * Picks how tests get their infrastructure: testcontainers when a Docker engine answers, local
 * processes otherwise. `MANDATE_INFRA=local|docker` forces either.
 */
export async function startTestInfrastructure(options: StackOptions): Promise<InfraStack> {
  const forced = infraConfig().MANDATE_INFRA;
  const useDocker = forced ? forced === "docker" : dockerEngineAnswers();
  progress(`test infrastructure: ${useDocker ? "testcontainers (Docker)" : "local processes"}`);
  return useDocker ? startDockerStack(options) : startLocalStack(options);
}

function dockerEngineAnswers(): boolean {
  const result = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { stdio: "ignore", timeout: 5_000 });
  return result.status === 0;
}

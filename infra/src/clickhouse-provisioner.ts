import { timedStep } from "./progress.js";
import { hasCommand, isRoot, MissingPrerequisiteError } from "./prerequisites.js";
import { runCommand } from "./run-command.js";

/**
 * Makes sure a real `clickhouse-server` binary exists for the integration tests. Debian ships
 * version 18.16; when it is missing and we are root it is installed with apt, otherwise the
 * message says what to run.
 */
export async function provisionClickHouseServer(): Promise<string> {
  if (hasCommand("clickhouse-server")) return "clickhouse-server";
  if (!isRoot() || !hasCommand("apt-get")) {
    throw new MissingPrerequisiteError(
      "clickhouse-server",
      "Install it as root with `apt-get update && apt-get install -y clickhouse-server`, or point CLICKHOUSE_URL at a running server.",
    );
  }
  await timedStep("installing Debian's clickhouse-server with apt-get", async () => {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    await runCommand("apt-get", ["update"], { env });
    await runCommand("apt-get", ["install", "-y", "--no-install-recommends", "clickhouse-server"], { env });
  });
  return "clickhouse-server";
}

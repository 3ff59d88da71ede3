import fs from "node:fs";
import { createKafka } from "../../common/src/kafka-client.js";
import { createLogger } from "../../common/src/logger.js";
import { openContracts } from "../../common/src/mandate-contracts.js";
import { parseRegistrationFile } from "../../common/src/registration-file.js";
import { AgentDirectory } from "../../common/src/agent-directory.js";
import { GovernancePublisher } from "../../../sdk/src/governance-publisher.js";
import { cliConfigFromEnv } from "./cli-config.js";
import { UsageError } from "./usage-error.js";

/** `mandate agent validate|register <file>`, `mandate agent retire <agent_id>`. */
export async function agentCommand([sub, target]: string[]): Promise<void> {
  if (!target) throw new UsageError("usage: mandate agent validate|register <registration file> | retire <agent_id>");
  if (sub === "validate" || sub === "register") {
    const result = parseRegistrationFile(fs.readFileSync(target, "utf8"), target);
    if (!result.ok) throw new UsageError(`registration refused:\n  ${result.errors.join("\n  ")}`);
    if (sub === "validate") {
      process.stdout.write(
        `${target}: valid registration of ${result.registration.agent_id} version ${result.registration.version}\n`,
      );
      return;
    }
    const publisher = await GovernancePublisher.connect(cliConfigFromEnv().connection);
    try {
      await publisher.publish(result.registration);
    } finally {
      await publisher.close();
    }
    process.stdout.write(`registered ${result.registration.agent_id} version ${result.registration.version}\n`);
    return;
  }
  if (sub === "retire") {
    const connection = cliConfigFromEnv().connection;
    const logger = createLogger("mandate-cli", "warn");
    const kafka = createKafka(connection, "mandate-cli", logger);
    const contracts = await openContracts(connection, connection.topics);
    const directory = new AgentDirectory(kafka, connection.topics.registry, contracts.registration, logger);
    await directory.start();
    const current = directory.get(target);
    await directory.stop();
    if (!current) throw new UsageError(`agent ${target} is not registered`);
    const publisher = await GovernancePublisher.connect(connection);
    try {
      await publisher.publish({ ...current, retired: true, version: current.version + 1, registered_at: Date.now() });
    } finally {
      await publisher.close();
    }
    process.stdout.write(`retired ${target} (version ${current.version + 1}); its actions are now rejected\n`);
    return;
  }
  throw new UsageError(`unknown agent command: ${sub}`);
}

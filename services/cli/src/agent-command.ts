import fs from "node:fs";
import { createKafka } from "@mandate/sdk/kafka/kafka-client";
import { createLogger } from "@mandate/common/logger";
import { openContracts, type AgentRegistration } from "@mandate/contracts";
import { parseRegistrationFile } from "./registration-file.js";
import { AgentDirectory } from "@mandate/sdk/kafka/agent-directory";
import { GovernancePublisher } from "@mandate/sdk";
import { cliConfigFromEnv } from "./cli-config.js";
import { parseFlags, parseSubcommand } from "./cli-flags.js";
import { UsageError } from "./usage-error.js";

const USAGE = `usage: mandate agent validate <registration.yaml|json>
       mandate agent register <registration.yaml|json> [--dry-run]
       mandate agent retire <agent_id>

An agent is known to Mandate by its registration: what it is for (purpose, examples), which tools,
resources and destinations are in its scope, and the public keys it signs its actions with.

validate   checks a registration file and lists every problem with file:line:column; publishes nothing.
register   checks it the same way, then publishes it to the registry topic, keyed by its agent_id;
           every validator applies it from there. A validator keeps the highest version it has seen,
           so raise \`version\` with each change.
           --dry-run  check it and print the record that would be published; publishes nothing and
                      needs no Kafka.
retire     publishes the agent's current registration again, retired and one version higher: from
           then on every action it proposes is rejected.

Example:   mandate agent register test/fixtures/examples/support-assistant.yaml --dry-run

Kafka and the registry: MANDATE_KAFKA_BROKERS (default 127.0.0.1:9092), MANDATE_SCHEMA_REGISTRY_URL
(default http://127.0.0.1:8081); the registry topic: MANDATE_TOPIC_REGISTRY (default agent.registry.v1).`;

/** `mandate agent validate|register <file>`, `mandate agent retire <agent_id>`. */
export async function agentCommand(args: string[]): Promise<void> {
  const [sub, rest] = parseSubcommand("agent", args, ["validate", "register", "retire"], USAGE);
  const flags = parseFlags(rest, sub === "register" ? { "dry-run": "switch" } : {}, USAGE);
  const [target, ...extra] = flags.positional;
  const what = sub === "retire" ? "<agent_id>" : "<registration.yaml|json>";
  if (target === undefined || extra.length > 0) throw new UsageError(`agent ${sub} takes one ${what}\n\n${USAGE}`);
  if (sub === "retire") return retire(target);

  const registration = readRegistration(target);
  if (sub === "validate") {
    process.stdout.write(`${target}: valid registration of ${registration.agent_id} version ${registration.version}\n`);
    return;
  }
  if (flags.has("dry-run")) {
    // Only the topic name comes from the configuration: nothing here connects to Kafka or the registry.
    const topic = cliConfigFromEnv().connection.topics.registry;
    process.stdout.write(
      `dry run, nothing published: would publish ${registration.agent_id} version ${registration.version} ` +
        `to ${topic} (key ${registration.agent_id}):\n${JSON.stringify(registration, null, 2)}\n`,
    );
    return;
  }
  const publisher = await GovernancePublisher.connect(cliConfigFromEnv().connection);
  try {
    await publisher.publish(registration);
  } finally {
    await publisher.close();
  }
  process.stdout.write(`registered ${registration.agent_id} version ${registration.version}\n`);
}

function readRegistration(file: string): AgentRegistration {
  const result = parseRegistrationFile(fs.readFileSync(file, "utf8"), file);
  if (!result.ok) throw new UsageError(`registration refused:\n  ${result.errors.join("\n  ")}`);
  return result.registration;
}

async function retire(agentId: string): Promise<void> {
  const connection = cliConfigFromEnv().connection;
  const logger = createLogger("mandate-cli", "warn");
  const kafka = createKafka(connection, "mandate-cli", logger);
  const contracts = await openContracts(connection, connection.topics);
  const directory = new AgentDirectory(kafka, connection.topics.registry, contracts.registration, logger);
  await directory.start();
  const current = directory.get(agentId);
  await directory.stop();
  if (!current) throw new UsageError(`agent ${agentId} is not registered`);
  const publisher = await GovernancePublisher.connect(connection);
  try {
    await publisher.publish({ ...current, retired: true, version: current.version + 1, registered_at: Date.now() });
  } finally {
    await publisher.close();
  }
  process.stdout.write(`retired ${agentId} (version ${current.version + 1}); its actions are now rejected\n`);
}

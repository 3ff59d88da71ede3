import { HelpRequested } from "./help-requested.js";
import { UsageError } from "./usage-error.js";

const usage = `mandate — runtime governance for AI agents

usage: mandate <command> <subcommand> [arguments] [flags]
       mandate <command> --help     what one command does, its arguments and flags (also: mandate help <command>)

  mandate agent validate <registration.yaml|json>      check a registration file (line numbers on errors)
  mandate agent register <registration.yaml|json> [--dry-run]  publish it to agent.registry.v1 (--dry-run: only show it)
  mandate agent retire <agent_id>                      publish a retired version: its actions are rejected
  mandate policy validate|apply <file.cedar> --set-id <id> --version <n> [--team <t>] [--shadow] [--thresholds <f.json>]
  mandate explain <action.json> --agent <registration>  per-axis breakdown of one decision
  mandate explain --jsonl --agent <registration>        JSON lines in (actions), JSON lines out (decisions)
  mandate trail query <name> [--param k=v …] [--format table|json|csv]  a saved query (no name: list them)
  mandate trail query --sql "SELECT …" [--format table|json|csv]        one read-only statement
  mandate trail verify [--agent A] [--since T] [--format table|json]  recompute the hash chains; exit 1 if broken
  mandate dlq list [--limit N] [--reason R] [--step S] [--format table|json]  dead letters: where from, why, key, size
  mandate dlq replay <offset>… | --reason R [--step S] [--dry-run] [--force]  re-publish letters to their source topic
  mandate review list [--all] | show <decision_id>     the flagged actions waiting for a reviewer
  mandate review approve|reject <decision_id> --comment "why"  decide one: a signed decision supersedes the flag
  mandate review token <name> [--role reviewer|viewer] a token for the review API (file entry on stdout)
  mandate topics check|apply                           verify, or create the missing, topics with their settings
  mandate acls print|apply --agent P --validator P …   the Kafka ACLs of each role's principals: print or create them
  mandate mcp-gateway --config <gateway.yaml> [--check-config]  an MCP server whose tools/calls go through Mandate

Exit status: 0 done, 1 failed or found a problem (a broken chain, a missing topic), 2 the command line was wrong.

Kafka and the registry: MANDATE_KAFKA_BROKERS, MANDATE_SCHEMA_REGISTRY_URL.
A secured cluster (README: Connecting to a secured cluster): MANDATE_KAFKA_TLS, MANDATE_KAFKA_TLS_CA_FILE,
MANDATE_KAFKA_TLS_CERT_FILE, MANDATE_KAFKA_TLS_KEY_FILE, MANDATE_KAFKA_SASL_MECHANISM, MANDATE_KAFKA_SASL_USERNAME,
MANDATE_KAFKA_SASL_PASSWORD, MANDATE_SCHEMA_REGISTRY_USERNAME, MANDATE_SCHEMA_REGISTRY_PASSWORD,
MANDATE_SCHEMA_REGISTRY_CA_FILE.
Topic settings: MANDATE_TOPIC_REPLICATION_FACTOR, MANDATE_TOPIC_MIN_INSYNC_REPLICAS, MANDATE_ACTION_PARTITIONS.
The trail: CLICKHOUSE_URL (CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, CLICKHOUSE_CA_FILE), or MANDATE_CHDB_PATH while no
sink holds it; MANDATE_CLICKHOUSE_DATABASE.
The review service: MANDATE_REVIEW_URL (default http://127.0.0.1:8088), MANDATE_REVIEW_TOKEN.`;

// A reader that stops early (`mandate explain --jsonl … | head`) is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(0);
});

type Command = (args: string[]) => Promise<void>;

/** Each command is loaded only when it runs: `mandate --help` should not wait for Kafka clients and Cedar to load. */
const commands: Record<string, () => Promise<Command>> = {
  agent: async () => (await import("./agent-command.js")).agentCommand,
  policy: async () => (await import("./policy-command.js")).policyCommand,
  explain: async () => (await import("./explain-command.js")).explainCommand,
  trail: async () => (await import("./trail-command.js")).trailCommand,
  dlq: async () => (await import("./dlq-command.js")).dlqCommand,
  review: async () => (await import("./review-command.js")).reviewCommand,
  topics: async () => (await import("./topics-command.js")).topicsCommand,
  acls: async () => (await import("./acls-command.js")).aclsCommand,
  "mcp-gateway": async () => (await import("./mcp-gateway-command.js")).mcpGatewayCommand,
};

/** `mandate help <command>` is `mandate <command> --help`; `mandate`, `mandate help` and `mandate --help` print the usage. */
async function run([command, ...rest]: string[]): Promise<void> {
  if (command === "help" && rest.length > 0) return run([...rest, "--help"]);
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    throw new HelpRequested(usage);
  }
  const load = Object.hasOwn(commands, command) ? commands[command] : undefined;
  if (!load) throw new UsageError(`unknown command: ${command}\n\n${usage}`);
  const runCommand = await load();
  await runCommand(rest);
}

try {
  await run(process.argv.slice(2));
} catch (error) {
  if (error instanceof HelpRequested) {
    process.stdout.write(`${error.usage}\n`);
  } else {
    process.stderr.write(`mandate: ${(error as Error).message}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  }
}

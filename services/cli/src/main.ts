import { aclsCommand } from "./acls-command.js";
import { agentCommand } from "./agent-command.js";
import { dlqCommand } from "./dlq-command.js";
import { explainCommand } from "./explain-command.js";
import { policyCommand } from "./policy-command.js";
import { reviewCommand } from "./review-command.js";
import { topicsCommand } from "./topics-command.js";
import { trailCommand } from "./trail-command.js";
import { UsageError } from "./usage-error.js";

const usage = `mandate — runtime governance for AI agents

  mandate agent validate <registration.yaml|json>      check a registration file (line numbers on errors)
  mandate agent register <registration.yaml|json>      publish it to agent.registry.v1
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

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === "agent") await agentCommand(rest);
  else if (command === "policy") await policyCommand(rest);
  else if (command === "explain") await explainCommand(rest);
  else if (command === "trail") await trailCommand(rest);
  else if (command === "dlq") await dlqCommand(rest);
  else if (command === "review") await reviewCommand(rest);
  else if (command === "topics") await topicsCommand(rest);
  else if (command === "acls") await aclsCommand(rest);
  else {
    process.stdout.write(`${usage}\n`);
    process.exitCode = command && command !== "help" && command !== "--help" ? 2 : 0;
  }
} catch (error) {
  process.stderr.write(`mandate: ${(error as Error).message}\n`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
}

import { pino } from "pino";
import { createKafka } from "@mandate/sdk/kafka/kafka-client";
import { createLogger } from "@mandate/common/logger";
import { formatTopicProblems, type TopicProblem, type TopicSpec } from "@mandate/common/topic-settings";
import { createTopics, inspectTopics } from "@mandate/common/topics";
import { cliConfigFromEnv } from "./cli-config.js";
import { parseFlags, parseSubcommand } from "./cli-flags.js";
import { UsageError } from "./usage-error.js";

function usage(): string {
  return `usage: mandate topics check
       mandate topics apply

check  compares every topic with the configured settings (partitions, replication factor,
       min.insync.replicas, compaction); exit 0 when all exist and none would lose data, else 1
       with every problem listed (warnings alone exit 0).
apply  creates the missing topics with those settings and prints each; an existing topic is never
       changed: its problems are listed as check lists them (exit 1 when one would lose data).

The settings: MANDATE_TOPIC_REPLICATION_FACTOR (default 3), MANDATE_TOPIC_MIN_INSYNC_REPLICAS
(default 2), MANDATE_ACTION_PARTITIONS (default 6); 1 and 1 for a single broker.
The topic names: MANDATE_TOPIC_<NAME>; Kafka is MANDATE_KAFKA_BROKERS.`;
}

/** `mandate topics check|apply`: verify or create every topic the services use, with its settings. */
export async function topicsCommand(args: string[]): Promise<void> {
  const [sub, rest] = parseSubcommand("topics", args, ["check", "apply"], usage());
  const flags = parseFlags(rest, {}, usage());
  if (flags.positional.length > 0) throw new UsageError(`unexpected ${flags.positional.join(" ")}\n\n${usage()}`);
  const connection = cliConfigFromEnv().connection;
  const logger = createLogger("mandate-cli", "warn", pino.destination(2));
  const admin = createKafka(connection, "mandate-cli", logger).admin();
  await admin.connect();
  try {
    const { missing, problems } = await inspectTopics(admin, connection.topics, connection);
    if (sub === "apply") {
      await createTopics(admin, missing);
      for (const spec of missing) process.stdout.write(`created ${describeSpec(spec)}\n`);
      if (missing.length === 0) process.stdout.write("every topic exists; nothing created\n");
    } else {
      for (const spec of missing) process.stdout.write(`missing ${describeSpec(spec)}\n`);
    }
    report(problems);
    const fatal = problems.some((p) => p.severity === "fatal");
    if (fatal || (sub === "check" && missing.length > 0)) process.exitCode = 1;
    else if (sub === "check") process.stdout.write("every topic exists with settings that lose no data\n");
  } finally {
    await admin.disconnect();
  }
}

function describeSpec(spec: TopicSpec): string {
  const settings = [
    `partitions=${spec.partitions}`,
    `replication.factor=${spec.replicationFactor ?? "broker default"}`,
    `min.insync.replicas=${spec.minInsyncReplicas ?? "broker default"}`,
    `cleanup.policy=${spec.compacted ? "compact" : "delete"}`,
  ];
  return `${spec.name} (${settings.join(", ")})`;
}

function report(problems: readonly TopicProblem[]): void {
  if (problems.length === 0) return;
  process.stdout.write(`${problems.length} problem(s) with existing topics:\n${formatTopicProblems(problems)}\n`);
}

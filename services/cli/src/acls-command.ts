import { pino } from "pino";
import {
  aclPlan,
  applyAclPlan,
  DEFAULT_SINK_GROUP,
  DEFAULT_VALIDATOR_GROUP,
  MANDATE_ROLES,
  type MandateRole,
  type PlannedAcl,
} from "./acl-plan.js";
import { createKafka } from "@mandate/sdk/kafka/kafka-client";
import { createLogger } from "@mandate/common/logger";
import { cliConfigFromEnv } from "./cli-config.js";
import { parseFlags, parseSubcommand, type CliFlags } from "./cli-flags.js";
import { formatResult } from "./trail-command.js";
import { UsageError } from "./usage-error.js";

function usage(): string {
  return `usage: mandate acls print [--agent P]… [--validator P]… [--executor P]… [--sink P]… [--review P]… [--admin P]…
                          [--executor-group G]… [--validator-group G] [--sink-group G] [--format table|json]
       mandate acls apply (the same flags)

print  the Kafka ACLs each role's principals need, with why: least privilege for each role; an agent
       may write proposals and observations only, never decisions, validator keys, registrations or policies.
apply  creates those the cluster does not have yet (as the admin: Alter and Describe on the cluster),
       prints each one created; existing ACLs are never changed or removed.

P is a principal, User:<name> (a bare name means User:<name>); each role flag may be repeated.
--executor-group   each executor's consumer group (its groupId); required with --executor
--validator-group  the validators' group (default ${DEFAULT_VALIDATOR_GROUP}, MANDATE_VALIDATOR_GROUP)
--sink-group       the sink's group (default ${DEFAULT_SINK_GROUP}, MANDATE_SINK_GROUP)

The topics must exist first (mandate topics apply, as the admin): services only check them.
The topic names: MANDATE_TOPIC_<NAME>; Kafka is MANDATE_KAFKA_BROKERS (MANDATE_KAFKA_SASL_*, MANDATE_KAFKA_TLS_*).`;
}

const FLAGS = {
  ...(Object.fromEntries(MANDATE_ROLES.map((role) => [role, "values"])) as Record<MandateRole, "values">),
  "executor-group": "values",
  "validator-group": "value",
  "sink-group": "value",
  format: "value",
} as const;

type AclFlags = CliFlags<keyof typeof FLAGS>;

/** `mandate acls print|apply`: the ACLs Mandate's roles need, printed or created. */
export async function aclsCommand(args: string[]): Promise<void> {
  const [sub, rest] = parseSubcommand("acls", args, ["print", "apply"], usage());
  const flags = parseFlags(rest, FLAGS, usage());
  if (flags.positional.length > 0) throw new UsageError(`unexpected ${flags.positional.join(" ")}\n\n${usage()}`);
  const format = flags.choice("format", ["table", "json"]);
  const connection = cliConfigFromEnv().connection;
  const plan = planFrom(flags, connection.topics);
  if (sub === "print") {
    process.stdout.write(formatAcls(plan, format));
    return;
  }
  const logger = createLogger("mandate-cli", "warn", pino.destination(2));
  const admin = createKafka(connection, "mandate-cli", logger).admin();
  await admin.connect();
  try {
    const { created, present } = await applyAclPlan(admin, plan);
    if (created.length > 0) process.stdout.write(formatAcls(created, format));
    if (format === "table") {
      process.stdout.write(`${created.length} ACL(s) created, ${present.length} already present\n`);
    }
  } finally {
    await admin.disconnect();
  }
}

function planFrom(flags: AclFlags, topics: Parameters<typeof aclPlan>[0]["topics"]): PlannedAcl[] {
  const principals = Object.fromEntries(MANDATE_ROLES.map((role) => [role, flags.values(role)]));
  if (Object.values(principals).every((p) => p.length === 0)) {
    throw new UsageError(`name at least one role's principal\n\n${usage()}`);
  }
  const executorGroups = flags.values("executor-group");
  if (flags.values("executor").length > 0 && executorGroups.length === 0) {
    throw new UsageError(`--executor needs --executor-group: the executors' consumer groups\n\n${usage()}`);
  }
  return aclPlan({
    topics,
    principals,
    validatorGroup: flags.value("validator-group") ?? DEFAULT_VALIDATOR_GROUP,
    sinkGroup: flags.value("sink-group") ?? DEFAULT_SINK_GROUP,
    executorGroups,
  });
}

const COLUMNS = ["role", "principal", "resourceType", "patternType", "resourceName", "operation", "why"] as const;

/** A table (one line an ACL, ALLOW from any host) or JSON lines. */
export function formatAcls(plan: readonly PlannedAcl[], format: "table" | "json"): string {
  return formatResult(
    {
      columns: COLUMNS.map((name) => ({ name, type: "String" })),
      rows: plan.map((acl) => Object.fromEntries(COLUMNS.map((c) => [c, acl[c]]))),
    },
    format,
  );
}

import fs from "node:fs";
import type { PolicySetRecord } from "@mandate/contracts";
import { MandateDecisionEngine } from "@mandate/validator/mandate-decision-engine";
import { GovernancePublisher } from "@mandate/sdk";
import { cliConfigFromEnv } from "./cli-config.js";
import { parseFlags, parseSubcommand } from "./cli-flags.js";
import { UsageError } from "./usage-error.js";

const USAGE = `usage: mandate policy validate <policies.cedar> --set-id <id> --version <n> [--team <team>] [--shadow]
                                [--thresholds <thresholds.json>]
       mandate policy apply <policies.cedar> --set-id <id> --version <n> [--team <team>] [--shadow]
                                [--thresholds <thresholds.json>]

A policy set is Cedar text that says what agents may not do (and what goes to a human reviewer).
validate  checks the set exactly as a validator will (parsed, and validated against the Cedar schema,
          thresholds included) and prints Cedar's message for each problem; publishes nothing.
apply     checks it the same way, then publishes it to the policies topic; every validator loads it
          from there, and an invalid set never replaces the version in force.

--set-id <id>         the set's name; a higher version of a set replaces the one in force
--version <n>         a whole number from 1; a version older than the one in force is refused
--team <team>         the set applies only to the agents that team owns; without it, to every agent
--shadow              only record what the set would have decided; enforce nothing
--thresholds <file>   decision thresholds (verdict, alignment, drift) as JSON; only the \`default\` set's count

Example:  mandate policy validate team-finance.cedar --set-id team-finance --version 1 --team finance

Kafka and the registry: MANDATE_KAFKA_BROKERS, MANDATE_SCHEMA_REGISTRY_URL; the topic: MANDATE_TOPIC_POLICIES.`;

/**
 * `mandate policy validate|apply`: a policy set is checked exactly as a validator will check it
 * (parsed and validated against the Cedar schema, thresholds included) before it is published, so
 * an invalid set is refused here with Cedar's message instead of being refused by every validator.
 */
export async function policyCommand(args: string[]): Promise<void> {
  const [sub, rest] = parseSubcommand("policy", args, ["validate", "apply"], USAGE);
  const flags = parseFlags(
    rest,
    { "set-id": "value", version: "value", team: "value", shadow: "switch", thresholds: "value" },
    USAGE,
  );
  const [file, ...extra] = flags.positional;
  if (!file || extra.length > 0) throw new UsageError(`policy ${sub} takes one <policies.cedar>\n\n${USAGE}`);
  const setId = flags.value("set-id");
  if (!setId) throw new UsageError(`policy ${sub} needs --set-id <id>\n\n${USAGE}`);
  const versionText = flags.value("version");
  if (versionText === undefined || !/^[1-9]\d*$/.test(versionText)) {
    throw new UsageError(`policy ${sub} needs --version <n>, a whole number from 1\n\n${USAGE}`);
  }
  const version = Number(versionText);
  const thresholdsFile = flags.value("thresholds");
  const record: PolicySetRecord = {
    set_id: setId,
    version,
    mode: flags.has("shadow") ? "shadow" : "enforce",
    team: flags.value("team") ?? null,
    policies: fs.readFileSync(file, "utf8"),
    thresholds_json: thresholdsFile ? fs.readFileSync(thresholdsFile, "utf8") : null,
    published_by: cliConfigFromEnv().user,
    published_at: Date.now(),
  };
  const checked = new MandateDecisionEngine().applyPolicySet(record);
  if (!checked.ok) throw new UsageError(`policy set ${setId}@${version} refused:\n  ${checked.errors.join("\n  ")}`);
  if (sub === "validate") {
    process.stdout.write(`${file}: valid policy set ${setId}@${version}\n`);
    return;
  }
  const publisher = await GovernancePublisher.connect(cliConfigFromEnv().connection);
  try {
    await publisher.publishPolicySet(record);
  } finally {
    await publisher.close();
  }
  process.stdout.write(
    `published policy set ${setId}@${version} (${record.mode}${record.team ? `, team ${record.team}` : ""})\n`,
  );
}

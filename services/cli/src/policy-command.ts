import fs from "node:fs";
import type { PolicySetRecord } from "../../common/src/policy-set-record.js";
import { MandateDecisionEngine } from "../../validator/src/mandate-decision-engine.js";
import { GovernancePublisher } from "../../../sdk/src/governance-publisher.js";
import { cliConfigFromEnv } from "./cli-config.js";
import { parseFlags } from "./cli-flags.js";
import { UsageError } from "./usage-error.js";

const usage = `usage: mandate policy validate|apply <policies.cedar> --set-id <id> --version <n>
         [--team <owner team>] [--shadow] [--thresholds <thresholds.json>]`;

/**
 * `mandate policy validate|apply`: a policy set is checked exactly as a validator will check it
 * (parsed and validated against the Cedar schema, thresholds included) before it is published, so
 * an invalid set is refused here with Cedar's message instead of being refused by every validator.
 */
export async function policyCommand([sub, ...args]: string[]): Promise<void> {
  const flags = parseFlags(
    args,
    { "--set-id": "value", "--version": "value", "--team": "value", "--shadow": "switch", "--thresholds": "value" },
    usage,
  );
  const [file, ...extra] = flags.positional;
  if ((sub !== "validate" && sub !== "apply") || !file || extra.length > 0) throw new UsageError(usage);
  const setId = flags.value("--set-id");
  const version = Number(flags.value("--version"));
  if (!setId || !Number.isInteger(version) || version < 1) throw new UsageError(usage);
  const thresholdsFile = flags.value("--thresholds");
  const record: PolicySetRecord = {
    set_id: setId,
    version,
    mode: flags.has("--shadow") ? "shadow" : "enforce",
    team: flags.value("--team") ?? null,
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

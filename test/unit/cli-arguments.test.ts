import { execFile } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { aclsCommand } from "@mandate/cli/acls-command";
import { agentCommand } from "@mandate/cli/agent-command";
import { dlqCommand } from "@mandate/cli/dlq-command";
import { HelpRequested } from "@mandate/cli/help-requested";
import { policyCommand } from "@mandate/cli/policy-command";
import { reviewCommand } from "@mandate/cli/review-command";
import { topicsCommand } from "@mandate/cli/topics-command";
import { trailCommand } from "@mandate/cli/trail-command";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const registrationFile = "test/fixtures/examples/support-assistant.yaml";

/**
 * Nothing listens on port 1: a command that tried to reach Kafka or the registry there would fail
 * (kafkajs retries, then gives up with exit 1) instead of succeeding.
 */
const UNREACHABLE = {
  MANDATE_KAFKA_BROKERS: "127.0.0.1:1",
  MANDATE_SCHEMA_REGISTRY_URL: "http://127.0.0.1:1",
};

/** Each test starts node processes; on two shared cores, several at once can take a while to start. */
const SPAWN_TIMEOUT_MS = 90_000;

/** The real entry point, as a user runs it: `node services/cli/bin/mandate.mjs …`. */
function mandate(args: string[], env: NodeJS.ProcessEnv = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [path.join(repoRoot, "services/cli/bin/mandate.mjs"), ...args],
      { cwd: repoRoot, env: { ...process.env, ...UNREACHABLE, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The usage a command hands up for `args`, without a process: for every subcommand, cheaply. */
async function usageShownBy(run: Promise<void>): Promise<string> {
  try {
    await run;
  } catch (error) {
    if (error instanceof HelpRequested) return error.usage;
    throw error;
  }
  throw new Error("expected the usage to be asked for");
}

describe.concurrent("mandate --help", { timeout: SPAWN_TIMEOUT_MS }, () => {
  it.each([["--help"], ["-h"], ["help"], []])(
    "mandate %s prints the commands on stdout and exits 0",
    async (...args) => {
      const { code, stdout, stderr } = await mandate(args.filter(Boolean));
      expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
      expect(stdout).toContain("usage: mandate <command>");
      for (const command of ["agent", "policy", "explain", "trail", "dlq", "review", "topics", "acls"]) {
        expect(stdout).toContain(`mandate ${command} `);
      }
    },
  );

  it.each(["agent", "policy", "explain", "trail", "dlq", "review", "topics", "acls"])(
    "mandate %s --help prints its usage on stdout and exits 0",
    async (command) => {
      const { code, stdout, stderr } = await mandate([command, "--help"]);
      expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
      expect(stdout).toMatch(new RegExp(`^usage: mandate ${command} `));
    },
  );

  it("mandate help <command> and mandate <command> <subcommand> -h print the same usage", async () => {
    const [viaHelp, viaFlag, viaSubcommand] = await Promise.all([
      mandate(["help", "trail"]),
      mandate(["trail", "--help"]),
      mandate(["trail", "query", "-h"]),
    ]);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
    expect(viaSubcommand.stdout).toBe(viaFlag.stdout);
  });
});

describe("every subcommand's --help", () => {
  const subcommands: Array<[string, (args: string[]) => Promise<void>, string[]]> = [
    ["agent", agentCommand, ["validate", "register", "retire"]],
    ["policy", policyCommand, ["validate", "apply"]],
    ["trail", trailCommand, ["query", "verify"]],
    ["dlq", dlqCommand, ["list", "replay"]],
    ["review", reviewCommand, ["list", "show", "approve", "reject", "token"]],
    ["topics", topicsCommand, ["check", "apply"]],
    ["acls", aclsCommand, ["print", "apply"]],
  ];

  it.each(subcommands)(
    "mandate %s <each subcommand> --help hands up a usage that names it",
    async (command, run, subs) => {
      for (const sub of subs) {
        expect(await usageShownBy(run([sub, "--help"]))).toContain(`mandate ${command} ${sub}`);
        // Help wins over whatever else the line gets wrong: that is when it is needed.
        expect(await usageShownBy(run([sub, "--no-such-flag", "-h"]))).toContain(`mandate ${command} ${sub}`);
      }
    },
  );
});

describe.concurrent("a wrong command line exits 2 and says what was wrong", { timeout: SPAWN_TIMEOUT_MS }, () => {
  it("an unknown flag is named", async () => {
    const { code, stdout, stderr } = await mandate(["trail", "verify", "--agnet", "billing-bot"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^mandate: unknown option --agnet\n\nusage: mandate trail verify/);
  });

  it("an unknown flag on a command that takes none before is refused too", async () => {
    const { code, stderr } = await mandate(["agent", "validate", registrationFile, "--verbose"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^mandate: unknown option --verbose\n/);
  });

  it("a flag that takes one value, given twice, is refused", async () => {
    const { code, stdout, stderr } = await mandate(["trail", "verify", "--format", "json", "--format", "table"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^mandate: --format given twice\n/);
  });

  it("an unknown command or subcommand is named", async () => {
    const [command, subcommand] = await Promise.all([mandate(["trial"]), mandate(["agent", "publish", "x.yaml"])]);
    expect(command.code).toBe(2);
    expect(command.stdout).toBe("");
    expect(command.stderr).toMatch(/^mandate: unknown command: trial\n/);
    expect(subcommand.code).toBe(2);
    expect(subcommand.stderr).toMatch(
      /^mandate: unknown command: agent publish \(it is validate, register or retire\)/,
    );
  });

  it("a flag a command does not take for this subcommand is refused", async () => {
    const { code, stderr } = await mandate(["agent", "validate", registrationFile, "--dry-run"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^mandate: unknown option --dry-run\n/);
  });
});

describe.concurrent("mandate agent register --dry-run", { timeout: SPAWN_TIMEOUT_MS }, () => {
  it("checks the file and prints the record it would publish, without reaching Kafka or the registry", async () => {
    const { code, stdout, stderr } = await mandate(["agent", "register", registrationFile, "--dry-run"]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const [headline, ...record] = stdout.split("\n");
    expect(headline).toBe(
      "dry run, nothing published: would publish support-assistant version 1 to agent.registry.v1 (key support-assistant):",
    );
    expect(JSON.parse(record.join("\n"))).toMatchObject({
      agent_id: "support-assistant",
      owner: "customer-support",
      version: 1,
      retired: false,
    });
  });

  it("refuses an invalid registration with exit 2", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mandate-cli-"));
    const file = path.join(dir, "broken.yaml");
    fs.writeFileSync(file, fs.readFileSync(registrationFile, "utf8").replace(/^version: .*$/m, "version: 0"));
    const { code, stdout, stderr } = await mandate(["agent", "register", file, "--dry-run"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain(`${file}:`);
    expect(stderr).toContain("version");
  });

  it("refuses a private key given as the public key, and never prints it", async () => {
    const { privateKey } = crypto.generateKeyPairSync("ed25519");
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mandate-cli-"));
    const file = path.join(dir, "leaky.yaml");
    const indented = pem
      .trimEnd()
      .split("\n")
      .map((line) => `      ${line}`)
      .join("\n");
    const base = fs.readFileSync(registrationFile, "utf8").replace(/^keys:.*\n(?:[ -].*\n)*/m, "");
    fs.writeFileSync(file, `${base}\nkeys:\n  - key_id: k1\n    public_key: |\n${indented}\n`);
    const { code, stdout, stderr } = await mandate(["agent", "register", file, "--dry-run"]);
    expect(code).toBe(2);
    expect(stderr).toContain("public_key: holds a private key");
    const secret = pem.split("\n")[1] as string;
    expect(stdout + stderr).not.toContain(secret);
  });
});

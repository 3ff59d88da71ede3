import { execFile } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPipeline, type RunningPipeline } from "../../infra/src/pipeline.js";
import { provisionPythonVenv } from "../../infra/src/python-venv.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import {
  canonicalActionBytes,
  type DecisionRecord,
  publicKeyPem,
  verifyEd25519,
  openContracts,
  isolatedTopics,
} from "@mandate/contracts";
import { topicEnvName } from "@mandate/common/service-config";
import { isolatedDatabase, sharedStack } from "../support/shared-stack.js";
import { readTopic } from "../support/topic-reader.js";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const example = path.join(repo, "examples/python");

/** What examples/python/agent.py prints. */
interface AgentReport {
  action_id: string;
  decision_id?: string;
  verdict?: string;
  reasons?: Array<{ code: string; message: string }>;
  validator_id?: string;
  action_signature?: string;
  verified?: boolean;
  refusal?: string;
  error?: string;
}

/**
 * Any language can propose: the Python example (confluent-kafka's Avro serializer, `cryptography`'s
 * Ed25519) is registered with the CLI, proposes signed actions through the real pipeline, and checks
 * the validator's signature on each verdict with the key the validator published. Its environment is
 * made in the cache from examples/python/requirements.txt on first use.
 */
describe("a Python agent (examples/python)", () => {
  const stack = sharedStack("server");
  const topics = isolatedTopics("python");
  const database = isolatedDatabase("python");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mandate-python-agent-"));
  const keyFile = path.join(dir, "agent-key.pem");
  const { privateKey } = crypto.generateKeyPairSync("ed25519");
  const env = {
    ...process.env,
    MANDATE_KAFKA_BROKERS: stack.kafkaBrokers.join(","),
    MANDATE_SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
    MANDATE_TOPIC_REPLICATION_FACTOR: "1",
    MANDATE_TOPIC_MIN_INSYNC_REPLICAS: "1",
    ...Object.fromEntries(Object.entries(topics).map(([name, topic]) => [topicEnvName(name), topic])),
    PYTHONDONTWRITEBYTECODE: "1",
  };
  let python: string;
  let pipeline: RunningPipeline;

  beforeAll(async () => {
    [python, pipeline] = await Promise.all([
      provisionPythonVenv("example-agent", path.join(example, "requirements.txt")),
      startPipeline(stack, { topics, database, logLevel: "silent" }),
    ]);
    fs.writeFileSync(keyFile, privateKey.export({ type: "pkcs8", format: "pem" }));
    // The example's own registration file, with this key pasted in as its README says.
    const pem = publicKeyPem(privateKey).trim().split("\n").join("\n      ");
    const registration = fs
      .readFileSync(path.join(example, "registration.yaml"), "utf8")
      .replace(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/, pem);
    fs.writeFileSync(path.join(dir, "registration.yaml"), registration);
    const registered = await run(process.execPath, [
      path.join(repo, "services/cli/bin/mandate.mjs"),
      "agent",
      "register",
      path.join(dir, "registration.yaml"),
    ]);
    expect(registered.code, registered.stderr).toBe(0);
    await waitUntil(
      "the registration to reach the validator",
      async () => pipeline.validators[0]?.registrationVersion("python-agent") === 1,
    );
  });

  afterAll(async () => {
    await pipeline?.stop();
    stack.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(command, args, { cwd: repo, env, timeout: 60_000 }, (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr }),
      );
    });
  }

  async function propose(tool: string, operation: string, args: object, key = keyFile): Promise<AgentReport> {
    const result = await run(python, [
      path.join(example, "agent.py"),
      ...["--agent-id", "python-agent", "--key-file", key, "--key-id", "python-agent-1"],
      ...["--tool", tool, "--operation", operation, "--arguments", JSON.stringify(args)],
      ...["--session-task", "Where is my order A-1042?", "--intent", "check the order status", "--timeout", "20"],
    ]);
    // Exit 1 (a verdict that does not verify) or 2 (none in time) fails here, with what the agent said.
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    return JSON.parse(result.stdout) as AgentReport;
  }

  /** The decision as the TypeScript side reads it off the decisions topic. */
  async function decisionOf(actionId: string): Promise<DecisionRecord> {
    const contracts = await openContracts(stack, topics);
    const messages = await readTopic(stack.kafkaBrokers, topics.decisions, (seen) =>
      seen.some((m) => m.value?.includes(actionId)),
    );
    for (const message of messages) {
      const decision = await contracts.decision.decode(message.value);
      if (decision.action.action_id === actionId) return decision;
    }
    throw new Error(`no decision for ${actionId}`);
  }

  it("computes every published canonical-encoding test vector exactly", async () => {
    const result = await run(python, [path.join(example, "check_vectors.py")]);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/canonical vectors: \d+ checked, all match/);
  });

  it("proposes a signed in-scope action and gets an approval whose validator signature it verified", async () => {
    const report = await propose("lookup_order", "read", { order_id: "A-1042" });
    expect(report).toMatchObject({ verdict: "approved", verified: true });

    // The validator checked the Python signature against the registered key, over TypeScript's encoding.
    const decision = await decisionOf(report.action_id);
    expect(decision.decision_id).toBe(report.decision_id);
    expect(decision.signature).not.toBeNull();
    expect(decision.action.signature).toBe(report.action_signature);
    expect(
      verifyEd25519(
        canonicalActionBytes(decision.action),
        decision.action.signature!,
        crypto.createPublicKey(privateKey),
      ),
    ).toBe(true);
  });

  it("gets a verified rejection for a tool outside its scope", async () => {
    const report = await propose("export_customers", "read", { format: "csv" });
    expect(report).toMatchObject({ verdict: "rejected", verified: true });
    expect(report.reasons?.map((r) => r.code)).toContain("scope.tool_not_registered");
  });

  it("is rejected when it signs with a key its registration does not hold", async () => {
    const stranger = path.join(dir, "stranger-key.pem");
    fs.writeFileSync(
      stranger,
      crypto.generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }),
    );
    const report = await propose("lookup_order", "read", { order_id: "A-1042" }, stranger);
    expect(report).toMatchObject({ verdict: "rejected", verified: true });
    expect(report.reasons?.map((r) => r.code)).toContain("identity.bad_signature");
  });
});

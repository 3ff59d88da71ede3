import path from "node:path";
import { ManagedProcess } from "../../infra/src/managed-process.js";
import { topicsToEnv } from "@mandate/common/service-config";
import type { TopicNames } from "@mandate/contracts";

const repoRoot = path.resolve(import.meta.dirname, "../..");

/** A profiled validator's time to stop and write its profile before it is killed. */
const PROFILED_STOP_GRACE_MS = 120_000;

/** The session and transaction timeouts a validator process gets here (see startValidatorProcess). */
export const VALIDATOR_PROCESS_TIMEOUTS = { sessionTimeoutMs: 6000, transactionTimeoutMs: 10_000 };

/**
 * A validator as its own process, started the way a deployment starts it (`main.ts`, environment), on
 * the single-broker stack at `brokers`. Short session and transaction timeouts, so a crash or a new
 * member is noticed in seconds rather than after the production defaults.
 */
export function startValidatorProcess(options: {
  id: string;
  topics: TopicNames;
  groupId: string;
  logFile: string;
  kafkaBrokers: string[];
  schemaRegistryUrl: string;
  env?: Record<string, string>;
  /**
   * Set: the process runs with `--cpu-prof` and writes its V8 CPU profile there when it exits, and
   * stop() gives it PROFILED_STOP_GRACE_MS to do so (a large profile takes seconds to write).
   */
  cpuProfileDir?: string | undefined;
}): ManagedProcess {
  return ManagedProcess.start(
    "validator",
    process.execPath,
    [
      ...(options.cpuProfileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`]),
      "--import",
      "@mandate/common/loader",
      "services/validator/src/main.ts",
    ],
    {
      cwd: repoRoot,
      stopGraceMs: options.cpuProfileDir === undefined ? undefined : PROFILED_STOP_GRACE_MS,
      logFile: options.logFile,
      env: {
        ...process.env,
        ...topicsToEnv(options.topics),
        MANDATE_KAFKA_BROKERS: options.kafkaBrokers.join(","),
        MANDATE_SCHEMA_REGISTRY_URL: options.schemaRegistryUrl,
        MANDATE_VALIDATOR_ID: options.id,
        MANDATE_VALIDATOR_GROUP: options.groupId,
        MANDATE_VALIDATOR_SESSION_TIMEOUT_MS: String(VALIDATOR_PROCESS_TIMEOUTS.sessionTimeoutMs),
        MANDATE_VALIDATOR_TRANSACTION_TIMEOUT_MS: String(VALIDATOR_PROCESS_TIMEOUTS.transactionTimeoutMs),
        MANDATE_LOG_LEVEL: "info",
        // The shared stack is one broker.
        MANDATE_TOPIC_REPLICATION_FACTOR: "1",
        MANDATE_TOPIC_MIN_INSYNC_REPLICAS: "1",
        ...options.env,
      },
    },
  );
}

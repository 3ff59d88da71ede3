import crypto from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import {
  type ProposedAction,
  type AgentRegistration,
  isolatedTopics,
  actionSigner,
  signAction,
} from "@mandate/contracts";
import { createLogger } from "@mandate/common/logger";
import { ensureTopics } from "@mandate/common/topics";
import { MandateDecisionEngine } from "@mandate/validator/mandate-decision-engine";
import { StateChangelog } from "@mandate/validator/validator-state/state-changelog";
import { agentKey } from "../support/agent-keys.js";
import { testRegistration } from "../support/registrations.js";

export interface RestoreBenchOptions {
  actions: number;
  agents: number;
  /** Actions decided per batch (one transaction, one changelog record per agent it touched). */
  batch: number;
  /** Simulated proposals per second over all agents: what the replay and rate windows hold. */
  ratePerSecond: number;
  partitions: number;
}

export interface RestoreBenchResult {
  options: RestoreBenchOptions;
  /** What deciding the actions cost in the engine: a lower bound for restoring by deciding the history again. */
  decideMsPer100k: number;
  changelogRecords: number;
  changelogBytes: number;
  restoreMs: number;
  restoreMsPer100k: number;
  /** Agents and sessions restored. */
  restoredKeys: number;
  /** Bytes of the latest record of every agent: what a fully compacted changelog would hold. */
  stateBytes: number;
  restoredStateMatches: boolean;
}

/**
 * Restore cost of the validator-state changelog (services/validator/src/validator-state/): `actions` signed
 * actions of `agents` agents are decided by the engine in batches, each batch's agent records written to a
 * real changelog topic as the validator writes them; then a fresh engine restores every partition, as a
 * validator that starts cold or takes over the partitions does. Nothing is compacted yet (the broker compacts
 * closed segments only), so the restore reads every record written: the worst case for these actions.
 */
export async function benchRestore(brokers: string[], options: RestoreBenchOptions): Promise<RestoreBenchResult> {
  const { actions, agents, batch, ratePerSecond, partitions } = options;
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
  const topics = isolatedTopics("restore-bench");
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, topics, {
    actionPartitions: partitions,
    topicReplicationFactor: 1,
    topicMinInsyncReplicas: 1,
  });
  await admin.disconnect();
  const changelog = new StateChangelog(kafka, topics.validatorState, createLogger("restore-bench", "silent"));

  const key = agentKey("bench-key");
  const signer = actionSigner(key.signingKey);
  const registrations = new Map<string, AgentRegistration>();
  for (let a = 0; a < agents; a++) {
    const agentId = `bench-agent-${a}`;
    registrations.set(agentId, { ...testRegistration(agentId), keys: [key.registered] });
  }
  const t0 = Date.now();
  const proposals: ProposedAction[] = Array.from({ length: actions }, (_, i) => {
    const agentId = `bench-agent-${i % agents}`;
    return signAction(
      {
        action_id: crypto.randomUUID(),
        agent_id: agentId,
        session_id: `${agentId}-s${Math.floor(i / agents / 20)}`,
        session_task: "Where is the customer's order?",
        tool: i % 5 === 0 ? "send_email" : "lookup_order",
        operation: "read",
        resource: null,
        destination: i % 5 === 0 ? "mail.example.com" : null,
        arguments_json: JSON.stringify({ order_id: `A-${i % 997}` }),
        intent: "check the order",
        proposed_at: t0 + Math.floor((i * 1000) / ratePerSecond),
        nonce: crypto.randomBytes(16).toString("hex"),
        executor_group: null,
      },
      signer,
    );
  });

  const engine = new MandateDecisionEngine();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  let decideMs = 0;
  let changelogRecords = 0;
  let changelogBytes = 0;
  // Each partition's actions in order, cut into batches, as the validator's fetches would be.
  const byPartition = Array.from({ length: partitions }, () => [] as ProposedAction[]);
  const partitionOf = (agentId: string) => Number(agentId.split("-").pop()) % partitions;
  for (const proposal of proposals) byPartition[partitionOf(proposal.agent_id)]!.push(proposal);
  const batches = byPartition.flatMap((list, partition) =>
    Array.from({ length: Math.ceil(list.length / batch) }, (_, b) => ({
      partition,
      actions: list.slice(b * batch, (b + 1) * batch),
    })),
  );
  batches.sort((x, y) => x.actions[0]!.proposed_at - y.actions[0]!.proposed_at);
  for (const { partition, actions: inBatch } of batches) {
    const started = performance.now();
    const journal = engine.beginBatch();
    for (const action of inBatch) engine.decideAction(action, registrations.get(action.agent_id), action.proposed_at);
    decideMs += performance.now() - started;
    const agents = new Set(inBatch.map((a) => a.agent_id));
    // As the validator writes them: what the batch changed and admitted, tombstones for what expired.
    const records = changelog.takeRecords(engine, agents, partition, partitionOf);
    engine.endBatch();
    engine.commitBatch(journal);
    changelogRecords += records.length;
    for (const record of records) changelogBytes += (record.value as Buffer | null)?.length ?? 0;
    await producer.send({ topic: topics.validatorState, acks: -1, messages: records });
  }
  await producer.disconnect();

  const restored = new MandateDecisionEngine();
  const report = await changelog.restore(
    Array.from({ length: partitions }, (_, p) => p),
    restored,
  );
  const end = proposals[proposals.length - 1]!.proposed_at;
  let stateBytes = 0;
  let restoredStateMatches = true;
  for (const agentId of registrations.keys()) {
    const original = JSON.stringify(engine.agentState(agentId, end));
    stateBytes += Buffer.byteLength(original);
    if (JSON.stringify(restored.agentState(agentId, end)) !== original) restoredStateMatches = false;
  }
  return {
    options,
    decideMsPer100k: (decideMs * 100_000) / actions,
    changelogRecords,
    changelogBytes,
    restoreMs: report.durationMs,
    restoreMsPer100k: (report.durationMs * 100_000) / actions,
    restoredKeys: report.keys,
    stateBytes,
    restoredStateMatches,
  };
}

/** One table row per run. */
export function formatRestoreRow(result: RestoreBenchResult): Record<string, string | number | boolean> {
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return {
    actions: result.options.actions,
    agents: result.options.agents,
    "batch (actions)": result.options.batch,
    "changelog records": result.changelogRecords,
    "changelog bytes": mib(result.changelogBytes),
    "state (latest per agent)": mib(result.stateBytes),
    "restore ms": Math.round(result.restoreMs),
    "restore ms / 100k actions": Math.round(result.restoreMsPer100k),
    "decide again ms / 100k (engine only)": Math.round(result.decideMsPer100k),
    "restored = original": result.restoredStateMatches,
  };
}

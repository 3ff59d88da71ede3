import { createLogger } from "../../services/common/src/logger.js";
import { DEFAULT_TOPICS } from "../../services/common/src/topics.js";
import { MandateAgent } from "../../sdk/src/mandate-agent.js";
import { MandateExecutor, type ExecutionOutcome } from "../../sdk/src/mandate-executor.js";
import { GovernancePublisher } from "../../sdk/src/governance-publisher.js";
import { demoAgents, demoWorkload, withGeneratedKeys } from "./demo/demo-agents.js";
import { startLocalStack } from "./local-stack.js";
import { startPipeline } from "./pipeline.js";
import { progress } from "./progress.js";
import { waitUntil } from "./wait-until.js";

/**
 * `npm run demo`: the whole pipeline on the embedded defaults. Starts Kafka, the schema registry,
 * the validator and the sink (embedded ClickHouse), registers three agents with generated signing
 * keys, streams a mixed workload of signed actions through the SDK with an executor running the
 * approved ones (after verifying the validator's signature), then prints what the trail says, read
 * back from ClickHouse.
 */
const ACTIONS = Number(process.env.MANDATE_DEMO_ACTIONS ?? 300);
const DATABASE = "mandate";
const logger = createLogger("demo");

const stack = await startLocalStack({ clickhouse: "embedded" });
const stopAll: Array<() => Promise<void>> = [() => stack.stop()];
const shutdown = async () => {
  for (const stop of stopAll.reverse()) await stop().catch((error) => logger.error({ err: error }, "stop failed"));
};
process.once("SIGINT", () => void shutdown().then(() => process.exit(130)));

try {
  const connection = {
    kafkaBrokers: stack.kafkaBrokers,
    schemaRegistryUrl: stack.schemaRegistryUrl,
    topics: DEFAULT_TOPICS,
  };
  progress("starting validator and sink (embedded ClickHouse)");
  const pipeline = await startPipeline(stack, { topics: DEFAULT_TOPICS, database: DATABASE });
  stopAll.push(() => pipeline.stop());

  const workload = demoWorkload(ACTIONS);
  const workloadAgents = [...new Set(workload.map((w) => w.agentId))];
  const { registrations, signingKeys } = withGeneratedKeys(
    demoAgents,
    workloadAgents.filter((id) => !demoAgents.some((a) => a.agent_id === id)),
  );
  progress(`registering ${registrations.length} demo agents, each with a generated Ed25519 signing key`);
  const publisher = await GovernancePublisher.connect(connection);
  for (const registration of registrations) await publisher.publish(registration);
  await publisher.close();
  await waitUntil("the validator to load the registrations", async () =>
    registrations.every((a) => pipeline.validators.every((v) => v.registrationVersion(a.agent_id) === a.version)),
  );

  const outcomes: ExecutionOutcome[] = [];
  const executor = await MandateExecutor.start({
    ...connection,
    groupId: "demo-executor",
    tools: Object.fromEntries(
      demoAgents.flatMap((a) => a.scope.tools.map((t) => [t.name, async () => undefined] as const)),
    ),
    onOutcome: (o) => outcomes.push(o),
  });
  stopAll.push(() => executor.stop());

  const agents = new Map<string, MandateAgent>();
  for (const agentId of workloadAgents) {
    const signingKey = signingKeys.get(agentId);
    agents.set(
      agentId,
      await MandateAgent.connect({ ...connection, agentId, signingKey }),
    );
  }
  stopAll.push(async () => void (await Promise.all([...agents.values()].map((a) => a.close()))));

  progress(`proposing ${workload.length} actions`);
  const started = Date.now();
  const verdicts: Record<string, number> = {};
  const inFlight = 25;
  for (let i = 0; i < workload.length; i += inFlight) {
    const slice = workload.slice(i, i + inFlight);
    const decisions = await Promise.all(slice.map((w) => (agents.get(w.agentId) as MandateAgent).propose(w.proposal)));
    for (const d of decisions) verdicts[d.verdict] = (verdicts[d.verdict] ?? 0) + 1;
  }
  progress(`all ${workload.length} verdicts received in ${Date.now() - started} ms: ${JSON.stringify(verdicts)}`);

  const trail = pipeline.sink!.trail;
  await waitUntil(
    "the trail to hold every decision",
    async () => {
      const result = await trail.query({
        query: `SELECT count() AS n FROM ${DATABASE}.decisions FINAL`,
        format: "JSONEachRow",
      });
      const [row] = (await result.json()) as Array<{ n: string }>;
      return Number(row?.n) >= workload.length;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );

  const summary = await trail.query({
    query: `SELECT agent_id, verdict, count() AS decisions, round(avg(latency_ms), 1) AS avg_latency_ms
            FROM ${DATABASE}.decisions FINAL GROUP BY agent_id, verdict ORDER BY agent_id, verdict`,
    format: "JSONEachRow",
  });
  const executed = outcomes.filter((o) => o.outcome === "executed").length;
  process.stdout.write("\nMandate demo — decisions per agent and verdict, read from ClickHouse (embedded):\n");
  console.table(await summary.json());
  process.stdout.write(`executor: ${executed} executed, ${outcomes.length - executed} refused\n`);
} finally {
  await shutdown();
}

import { AssignerProtocol, Kafka, logLevel, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalStack, type LocalStack } from "../../infra/src/local-stack.js";
import { startPipeline, type RunningPipeline } from "../../infra/src/pipeline.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import {
  type ProposedAction,
  openContracts,
  type MandateContracts,
  isolatedTopics,
  ACTION_ID_HEADER,
} from "@mandate/contracts";
import { detectCapabilities } from "@mandate/common/clickhouse-connection";
import { verifyTrail } from "@mandate/cli/trail-verify";
import { GovernancePublisher, MandateExecutor, type ExecutionOutcome } from "@mandate/sdk";
import { tallyDecisions } from "../support/decision-tally.js";
import { testRegistration } from "../support/registrations.js";
import { isolatedDatabase, sharedStack } from "../support/shared-stack.js";
import { orderLookup, streamActions } from "../support/test-actions.js";
import { headerText } from "@mandate/sdk/kafka/dead-letter";
import { alive } from "../support/process-alive.js";
import { readToEnd } from "../support/topic-reader.js";

/** Every action id on the actions topic, read to its end (read-committed). */
async function actionIdsOnTopic(brokers: string[], topic: string): Promise<Set<string>> {
  const ids = new Set<string>();
  await readToEnd(brokers, topic, false, (_, message) => {
    const id = headerText(message.headers, ACTION_ID_HEADER);
    if (id !== undefined) ids.add(id);
  });
  return ids;
}

/** Where the executor group stands on the decisions topic: its members' partitions, and each partition's lag. */
async function executorGroupState(brokers: string[], groupId: string, topic: string): Promise<string> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const lag = ends.map(({ partition, high }) => {
      const at = committed?.partitions.find((p) => p.partition === partition)?.offset ?? "-1";
      return `${partition}:${Number(high) - Math.max(0, Number(at))}`;
    });
    const { groups } = await admin.describeGroups([groupId]);
    const members = (groups[0]?.members ?? []).map((m) => {
      const assignment = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      return `${m.clientId}@${m.clientHost} [${assignment?.assignment[topic]?.join(",") ?? ""}]`;
    });
    return `executor group ${groups[0]?.state}: members ${members.join(" ")}; lag by partition ${lag.join(" ")}`;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Where the decisions the executors never reported on are (partition: count, offsets first–last), and
 * whether a fresh read-committed reader and a read-uncommitted reader see them.
 */
async function unhandledDecisions(
  brokers: string[],
  topic: string,
  positions: Map<string, Set<string>>,
  handled: Map<string, string[]>,
): Promise<string> {
  const missing = new Set<string>();
  for (const [id, at] of positions) if (!handled.has(id)) for (const p of at) missing.add(p);
  const byPartition = new Map<number, number[]>();
  for (const p of missing) {
    const [partition, offset] = p.split(":").map(Number) as [number, number];
    byPartition.set(partition, [...(byPartition.get(partition) ?? []), offset]);
  }
  const where = [...byPartition]
    .sort(([a], [b]) => a - b)
    .map(([p, offsets]) => `${p}: ${offsets.length} (${Math.min(...offsets)}–${Math.max(...offsets)})`)
    .join(", ");
  const seenBy = async (readUncommitted: boolean): Promise<number> => {
    let seen = 0;
    await readToEnd(brokers, topic, readUncommitted, (partition, message) => {
      if (missing.has(`${partition}:${message.offset}`)) seen += 1;
    });
    return seen;
  };
  return (
    `unhandled decisions by partition ${where}; a fresh read-committed reader sees ${await seenBy(false)} of them, ` +
    `a read-uncommitted reader ${await seenBy(true)}`
  );
}

const ACTIONS = 3000;
const PARTITIONS = 6;
/** One agent per action partition, so every partition (and every broker leading one) carries actions. */
const AGENTS = Array.from({ length: PARTITIONS }, (_, i) => `cluster-bot-${i}`);
/** Actions sent per step; a multiple of PARTITIONS, so action i lands on partition i % 6 with its agent. */
const STEP = 60;
const STEP_PAUSE_MS = 250;
/** How long the killed broker stays down before it is started again. */
const DOWN_MS = 15_000;
/** Executor instances in one group: the decisions' partitions are shared out between them. */
const EXECUTORS = 3;

/** What Kafka's Utils.abs(String.hashCode) gives: which `__consumer_offsets` partition coordinates a group. */
function javaStringHash(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i += 1) hash = (Math.imul(31, hash) + text.charCodeAt(i)) | 0;
  return hash & 0x7fffffff;
}

/**
 * Action i: an in-scope order lookup, except every fifth asks for a tool outside the agent's scope
 * (rejected, and the executor has that tool too, so running it would show). Built when sent: its
 * `proposed_at` is then the time it was proposed, as the validator's staleness check expects.
 */
function actionAt(i: number, executorGroup: string): ProposedAction {
  const action = { ...orderLookup(AGENTS[i % PARTITIONS]!, i), executor_group: executorGroup };
  return i % 5 === 4 ? { ...action, tool: "export_customers", arguments_json: '{"format":"csv"}' } : action;
}

/**
 * A real cluster and a real failure: three KRaft brokers, every topic with 3 replicas and 2 in sync,
 * every write acks=all. Actions stream in while the broker coordinating the validators' group (their
 * offset commits inside each transaction) is killed with SIGKILL, and it is started again later.
 * Every acknowledged action must end with exactly one committed decision (and no action with two),
 * the executor group must run each approved action once and nothing else, and the trail must hold
 * every decision once, in intact hash chains. The row of the fault table is printed.
 *
 * NOTE: not part of `npm test`: three brokers, a registry and the pipeline want the machine to
 * themselves for about three minutes. Run it with `npm run test:cluster` (README, 3-broker paragraph).
 */
describe.skipIf(process.env.MANDATE_CLUSTER_FAULT !== "1")(
  "a 3-broker cluster loses a broker (kill -9) mid-stream",
  () => {
    const topics = isolatedTopics("cluster-kill");
    const database = isolatedDatabase("cluster_kill");
    const validatorGroup = `validators-${topics.actions}`;
    const executorGroup = `executor-${database}`;
    // The shared clickhouse-server holds the trail (a database of its own); Kafka and the registry are this suite's.
    const clickhouse = sharedStack("server").clickhouse;
    /** Tool runs per action id, counted by the tools themselves. */
    const runs = new Map<string, number>();
    const count = (action: ProposedAction) => void runs.set(action.action_id, (runs.get(action.action_id) ?? 0) + 1);
    /** The outcomes (`executed`, or refused/failed with their code) the executor group reported, per action id. */
    const handled = new Map<string, string[]>();
    const executors: MandateExecutor[] = [];
    let stack: LocalStack;
    let pipeline: RunningPipeline;
    let contracts: MandateContracts;
    let producer: Producer;

    beforeAll(async () => {
      stack = await startLocalStack({ clickhouse: "none", kafkaNodes: 3 });
      expect(stack.topicReplication).toEqual({ topicReplicationFactor: 3, topicMinInsyncReplicas: 2 });
      pipeline = await startPipeline(stack, {
        topics,
        database,
        clickhouse,
        validatorGroupId: validatorGroup,
        logLevel: (process.env.MANDATE_TEST_PIPELINE_LOG as "warn" | undefined) ?? "silent",
        // Long enough that no approval expires while the executors catch up after the failover: an
        // expired approval is refused, which is right but would hide whether it ran once.
        validatorSettings: { decisionTtlSeconds: 600, capabilityTtlSeconds: 600 },
      });
      const connection = { kafkaBrokers: stack.kafkaBrokers, schemaRegistryUrl: stack.schemaRegistryUrl, topics };
      const publisher = await GovernancePublisher.connect(connection);
      for (const agent of AGENTS) await publisher.publish(testRegistration(agent));
      await publisher.close();
      await waitUntil("registrations", async () =>
        AGENTS.every((agent) => pipeline.validators[0]?.registrationVersion(agent) === 1),
      );
      for (let i = 0; i < EXECUTORS; i += 1) {
        executors.push(
          await MandateExecutor.start({
            ...connection,
            groupId: executorGroup,
            agents: AGENTS,
            // The out-of-scope tool is here too: were a rejected action run, it would be counted.
            tools: { lookup_order: async (action) => count(action), export_customers: async (action) => count(action) },
            onOutcome: (o: ExecutionOutcome) =>
              void handled.set(o.actionId, [...(handled.get(o.actionId) ?? []), o.code || o.outcome]),
          }),
        );
      }
      contracts = await openContracts(stack, topics);
      // Idempotent, so each send is retried through the failover for as long as it takes; every send is acks=all.
      producer = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING }).producer({
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await producer.connect();
    }, 240_000);

    let stopped = false;
    async function stopEverything(): Promise<void> {
      if (stopped) return;
      stopped = true;
      await producer?.disconnect();
      await Promise.all(executors.map((e) => e.stop()));
      await pipeline?.stop();
      await stack?.stop();
    }

    afterAll(stopEverything);

    /** The node leading the `__consumer_offsets` partition of the validators' group: their group coordinator. */
    async function validatorCoordinator(): Promise<number> {
      const admin = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        const [offsets] = (await admin.fetchTopicMetadata({ topics: ["__consumer_offsets"] })).topics;
        const partition = javaStringHash(validatorGroup) % offsets!.partitions.length;
        // Node i of the cluster has node id i + 1.
        return offsets!.partitions.find((p) => p.partitionId === partition)!.leader - 1;
      } finally {
        await admin.disconnect();
      }
    }

    /** Decisions per action id in the trail, after merging. */
    async function trailDecisions(): Promise<Map<string, number>> {
      const result = await pipeline.sink!.trail.query({
        query: `SELECT action_id, count() AS n FROM ${database}.decisions FINAL GROUP BY action_id`,
        format: "JSONEachRow",
      });
      const rows = (await result.json()) as Array<{ action_id: string; n: string | number }>;
      return new Map(rows.map((r) => [r.action_id, Number(r.n)]));
    }

    it("loses no acknowledged action, duplicates no decision, runs nothing wrongly, and the trail verifies", async () => {
      const began = Date.now();
      /** Actions the brokers acknowledged (acks=all), and those whose send failed: proposed, maybe written. */
      const acknowledged: string[] = [];
      const unacknowledged: string[] = [];
      const tally = await tallyDecisions(stack.kafkaBrokers, topics.decisions, contracts);
      const { counts, verdicts, reasons } = tally;
      const where = () => {
        const undecided = acknowledged.filter((id) => !counts.has(id)).map((id) => id.split("-").slice(0, 4).join("-"));
        return (
          `acknowledged ${acknowledged.length}, unacknowledged ${unacknowledged.length}, decided ${counts.size}, ` +
          `handled by the executors ${handled.size}` +
          (undecided.length > 0 && undecided.length <= 60 ? `; undecided: ${undecided.join(" ")}` : "")
        );
      };
      /** waitUntil, with where the stream stood when it timed out. */
      const waitFor = async (what: string, condition: () => boolean, timeoutMs: number) =>
        waitUntil(what, async () => condition(), { timeoutMs, intervalMs: 200 }).catch((error: Error) => {
          throw new Error(`${error.message} (${where()})`);
        });
      const victim = await validatorCoordinator();
      const killedPid = stack.cluster!.node(victim).pid;
      let downMs: number | undefined;
      try {
        const stream = (async () => {
          for (let i = 0; i < ACTIONS; i += STEP) {
            const step = Array.from({ length: Math.min(STEP, ACTIONS - i) }, (_, k) => actionAt(i + k, executorGroup));
            // NOTE: a send kafkajs gives up on (its retries run out while the leader is gone) is what an
            // agent's propose() would report as failed: those actions were not acknowledged and may or
            // may not have been written. They are not sent again (the validator would rightly refuse a
            // second copy of an action id with a decision of its own); an agent proposes anew instead.
            await streamActions(producer, contracts, topics.actions, step, PARTITIONS).then(
              (ids) => acknowledged.push(...ids),
              () => unacknowledged.push(...step.map((a) => a.action_id)),
            );
            await new Promise((r) => setTimeout(r, STEP_PAUSE_MS));
          }
        })();
        await waitFor("a third of the actions decided", () => counts.size >= ACTIONS / 3, 90_000);
        await stack.cluster!.kill(victim);
        const killedAt = Date.now();
        // Down for a while the stream goes on without it; then back, to catch up.
        await new Promise((r) => setTimeout(r, DOWN_MS));
        await stack.cluster!.restart(victim);
        downMs = Date.now() - killedAt;
        await stream;
        await waitFor(
          "a decision for every acknowledged action",
          () => acknowledged.every((id) => counts.has(id)),
          120_000,
        ).catch(async (error: Error) => {
          // Where the undecided ones went missing: never written to the actions topic, or never decided.
          const written = await actionIdsOnTopic(stack.kafkaBrokers, topics.actions);
          const undecided = acknowledged.filter((id) => !counts.has(id));
          const onTopic = undecided.filter((id) => written.has(id)).length;
          throw new Error(
            `${error.message}; of the ${undecided.length} undecided, ${onTopic} are on the actions topic`,
          );
        });
        await waitFor(
          "an outcome for every decision",
          () => [...counts.keys()].every((id) => handled.has(id)),
          150_000,
        ).catch(async (error: Error) => {
          throw new Error(
            `${error.message}; ${await executorGroupState(stack.kafkaBrokers, executorGroup, topics.decisions)}; ` +
              (await unhandledDecisions(stack.kafkaBrokers, topics.decisions, tally.positions, handled)),
          );
        });
        // Give a late duplicate decision or run, if there were one, time to show up.
        await new Promise((r) => setTimeout(r, 3000));
      } finally {
        await tally.stop();
      }

      const proposed = [...acknowledged, ...unacknowledged];
      const lost = acknowledged.filter((id) => !counts.has(id)).length;
      const duplicated = proposed.filter((id) => (counts.get(id) ?? 0) > 1).length;
      // Run though not approved, or run more than once.
      const wronglyExecuted = [...runs].reduce(
        (n, [id, times]) => n + (verdicts.get(id) === "approved" ? times - 1 : times),
        0,
      );
      const approved = proposed.filter((id) => verdicts.get(id) === "approved");
      process.stdout.write(
        `cluster broker kill -9: actions ${acknowledged.length}, lost ${lost}, duplicated ${duplicated}, wrongly executed ${wronglyExecuted}` +
          ` (${unacknowledged.length} more proposed but not acknowledged, ${unacknowledged.filter((id) => counts.has(id)).length} of them decided;` +
          ` node ${victim + 1} killed, down ${((downMs ?? 0) / 1000).toFixed(1)} s; ${approved.length} approved,` +
          ` ${approved.filter((id) => runs.get(id) === 1).length} of them run once, the others refused as maybe run:` +
          ` ${JSON.stringify(approved.filter((id) => !runs.has(id)).map((id) => handled.get(id)))};` +
          ` ${((Date.now() - began) / 1000).toFixed(0)} s)\n`,
      );
      const twice = proposed.filter((id) => (counts.get(id) ?? 0) > 1);
      if (twice.length > 0) {
        process.stdout.write(
          `decided more than once: ${JSON.stringify(twice.slice(0, 5).map((id) => reasons.get(id)))}\n`,
        );
      }
      expect(proposed).toHaveLength(ACTIONS);
      expect(acknowledged.length).toBeGreaterThanOrEqual(ACTIONS / 2);
      expect(killedPid).toBeDefined();
      expect(alive(killedPid!)).toBe(false);
      expect({ lost, duplicated, wronglyExecuted }).toEqual({ lost: 0, duplicated: 0, wronglyExecuted: 0 });
      // Nothing decided that nobody proposed.
      expect([...counts.keys()].filter((id) => !proposed.includes(id))).toEqual([]);
      // The mix is what it was built to be: every fifth action asks for a tool outside the scope.
      expect(proposed.filter((id) => verdicts.get(id) === "rejected").length).toBeGreaterThanOrEqual(counts.size / 5);
      expect(approved.length).toBeGreaterThan(0);
      // At most once is the executor's promise: an approval whose `started` record may have been written
      // (its send failed in the outage) is refused as already run rather than risk a second run. Each
      // approval not run must say so; anything else would be an approval dropped silently.
      const notRun = approved.filter((id) => !runs.has(id));
      expect(notRun.filter((id) => !handled.get(id)?.includes("action.already_executed"))).toEqual([]);

      // The trail: every decision once, in intact hash chains.
      await waitUntil("every decision in the trail", async () => (await trailDecisions()).size >= counts.size, {
        timeoutMs: 60_000,
        intervalMs: 500,
      });
      const trail = await trailDecisions();
      expect([...counts.keys()].filter((id) => trail.get(id) !== 1)).toEqual([]);
      expect(trail.size).toBe(counts.size);
      const verification = await verifyTrail(pipeline.sink!.trail, {
        database,
        capabilities: await detectCapabilities(pipeline.sink!.trail),
      });
      expect(verification).toMatchObject({ agents: AGENTS.length, rows: counts.size, problems: [] });
    }, 420_000);

    it("leaves no process of its cluster or registry running once stopped", async () => {
      const pids = stack.processIds();
      expect(pids).toHaveLength(4);
      await stopEverything();
      expect(pids.filter(alive)).toEqual([]);
    }, 120_000);
  },
);

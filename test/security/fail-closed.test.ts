import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPipeline, type RunningPipeline } from "../../infra/src/pipeline.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import { ensureTopics } from "@mandate/common/topics";
import { isolatedTopics } from "@mandate/contracts";
import {
  GovernancePublisher,
  MandateAgent,
  MandateExecutor,
  type ExecutionOutcome,
  VerdictTimeoutError,
} from "@mandate/sdk";
import { agentKey } from "../support/agent-keys.js";
import { testRegistration } from "../support/registrations.js";
import { isolatedDatabase, sharedStack } from "../support/shared-stack.js";

/** No verdict in time means no execution, and no run outlives its deadline unnoticed. */
describe("fail closed", () => {
  const stack = sharedStack("server");
  const topics = isolatedTopics("fail-closed");
  const database = isolatedDatabase("fail_closed");
  const connection = { kafkaBrokers: stack.kafkaBrokers, schemaRegistryUrl: stack.schemaRegistryUrl, topics };
  const key = agentKey("slow-bot-1");
  const outcomes: ExecutionOutcome[] = [];
  let aborted: unknown;
  let pipeline: RunningPipeline;
  let executor: MandateExecutor;
  let agent: MandateAgent;

  beforeAll(async () => {
    pipeline = await startPipeline(stack, { topics, database, logLevel: "silent" });
    const publisher = await GovernancePublisher.connect(connection);
    await publisher.publish({ ...testRegistration("slow-bot"), keys: [key.registered] });
    await publisher.close();
    await waitUntil("registration", async () => pipeline.validators[0]?.registrationVersion("slow-bot") === 1);
    executor = await MandateExecutor.start({
      ...connection,
      groupId: `executor-${database}`,
      agents: ["slow-bot"],
      runDeadlineMs: 500,
      tools: {
        // Never finishes on its own; stops when the executor aborts it.
        lookup_order: (_action, _args, { signal }) =>
          new Promise<void>((_, reject) =>
            signal.addEventListener("abort", () => {
              aborted = signal.reason;
              reject(signal.reason as Error);
            }),
          ),
      },
      onOutcome: (o) => outcomes.push(o),
    });
    agent = await MandateAgent.connect({
      ...connection,
      agentId: "slow-bot",
      executorGroup: `executor-${database}`,
      signingKey: key.signingKey,
    });
  });

  afterAll(async () => {
    await agent?.close();
    await executor?.stop();
    await pipeline?.stop();
  });

  it("a tool run past the executor's deadline is aborted and reported as failed", async () => {
    const decision = await agent.propose({ tool: "lookup_order", operation: "read", arguments: { order_id: "A-1" } });
    expect(decision.verdict).toBe("approved");
    await waitUntil("the run to hit its deadline", async () =>
      outcomes.some((o) => o.actionId === decision.action.action_id),
    );
    expect(outcomes.find((o) => o.actionId === decision.action.action_id)).toMatchObject({
      outcome: "failed",
      code: "tool.deadline_exceeded",
    });
    expect(aborted).toBeInstanceOf(Error);
  });

  it("propose() gives up with VerdictTimeoutError when no validator answers", async () => {
    const unattended = isolatedTopics("no-validator");
    const admin = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await ensureTopics(admin, unattended, { actionPartitions: 1 });
    await admin.disconnect();
    const lonely = await MandateAgent.connect({
      ...connection,
      topics: unattended,
      agentId: "slow-bot",
      signingKey: key.signingKey,
    });
    try {
      const started = Date.now();
      await expect(
        lonely.propose({ tool: "lookup_order", operation: "read", arguments: {} }, { timeoutMs: 1_000 }),
      ).rejects.toBeInstanceOf(VerdictTimeoutError);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await lonely.close();
    }
  });
});

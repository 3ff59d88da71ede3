import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPipeline, type RunningPipeline } from "../../infra/src/pipeline.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import { isolatedTopics } from "@mandate/contracts";
import { MandateAgent, MandateExecutor, type ExecutionOutcome, GovernancePublisher } from "@mandate/sdk";
import { testRegistration } from "../support/registrations.js";
import { isolatedDatabase, sharedStack } from "../support/shared-stack.js";

/**
 * One action end to end, through a real broker, a real registry and ClickHouse in both modes:
 * SDK propose → validator verdict → executor runs (or refuses) → both rows in the trail.
 */
describe.each(["server", "embedded"] as const)("walking skeleton with ClickHouse %s", (mode) => {
  const stack = sharedStack(mode);
  const topics = isolatedTopics(`e2e-${mode}`);
  const database = isolatedDatabase(`e2e_${mode}`);
  const connection = { kafkaBrokers: stack.kafkaBrokers, schemaRegistryUrl: stack.schemaRegistryUrl, topics };
  const outcomes: ExecutionOutcome[] = [];
  const ran: string[] = [];
  let pipeline: RunningPipeline;
  let agent: MandateAgent;
  let executor: MandateExecutor;

  beforeAll(async () => {
    pipeline = await startPipeline(stack, { topics, database, logLevel: "silent" });
    const publisher = await GovernancePublisher.connect(connection);
    await publisher.publish(testRegistration("support-bot"));
    await publisher.close();
    await waitUntil(
      "registration to reach the validator",
      async () => pipeline.validators[0]?.registrationVersion("support-bot") === 1,
    );
    executor = await MandateExecutor.start({
      ...connection,
      groupId: `executor-${database}`,
      agents: ["support-bot"],
      tools: {
        lookup_order: async (action) => void ran.push(action.action_id),
        export_customers: async (action) => void ran.push(action.action_id),
      },
      onOutcome: (o) => outcomes.push(o),
    });
    agent = await MandateAgent.connect({
      ...connection,
      agentId: "support-bot",
      executorGroup: `executor-${database}`,
      sessionTask: "Where is order A-1?",
    });
  });

  afterAll(async () => {
    await agent?.close();
    await executor?.stop();
    await pipeline?.stop();
    stack.cleanup();
  });

  it("approves an in-scope action, the executor runs it, and the trail holds the action and the decision", async () => {
    const decision = await agent.propose({ tool: "lookup_order", operation: "read", arguments: { order_id: "A-1" } });
    expect(decision.verdict).toBe("approved");
    expect(decision.registration_version).toBe(1);

    await waitUntil("the executor to run the action", async () => ran.includes(decision.action.action_id));
    const trail = pipeline.sink!.trail;
    await waitUntil("both trail rows", async () => {
      const rows = await trail.query({
        query: `SELECT (SELECT count() FROM ${database}.actions WHERE action_id = '${decision.action.action_id}') AS actions,
                       (SELECT count() FROM ${database}.decisions WHERE action_id = '${decision.action.action_id}' AND verdict = 'approved') AS decisions`,
        format: "JSONEachRow",
      });
      const [row] = (await rows.json()) as Array<{ actions: string; decisions: string }>;
      return Number(row?.actions) === 1 && Number(row?.decisions) === 1;
    });
    // What the executor did, and the registration version the decision names, are in the trail too.
    await waitUntil("the execution outcome in the trail", async () => {
      const rows = await trail.query({
        query: `SELECT outcome, code, executor_id FROM ${database}.executions FINAL
                WHERE action_id = '${decision.action.action_id}' AND outcome != 'started'`,
        format: "JSONEachRow",
      });
      const found = (await rows.json()) as Array<{ outcome: string; code: string; executor_id: string }>;
      return found.length === 1 && found[0]!.outcome === "executed" && found[0]!.executor_id === `executor-${database}`;
    });
    const registrations = await trail.query({
      query: `SELECT agent_id, version, tools, retired FROM ${database}.agent_registrations FINAL`,
      format: "JSONEachRow",
    });
    expect(await registrations.json()).toEqual([
      { agent_id: "support-bot", version: expect.anything(), tools: ["lookup_order", "send_email"], retired: 0 },
    ]);
  });

  it("rejects a tool outside the registered scope, and the executor refuses it", async () => {
    const decision = await agent.propose({ tool: "export_customers", operation: "read", arguments: { format: "csv" } });
    expect(decision.verdict).toBe("rejected");
    expect(decision.reasons.map((r) => r.code)).toContain("scope.tool_not_registered");

    await waitUntil("the executor to refuse", async () =>
      outcomes.some((o) => o.actionId === decision.action.action_id && o.outcome === "refused"),
    );
    expect(ran).not.toContain(decision.action.action_id);
    const trail = pipeline.sink!.trail;
    await waitUntil("the rejection in the trail", async () => {
      const rows = await trail.query({
        query: `SELECT reason_codes FROM ${database}.decisions WHERE action_id = '${decision.action.action_id}'`,
        format: "JSONEachRow",
      });
      const found = (await rows.json()) as Array<{ reason_codes: string[] }>;
      return found.length === 1 && found[0]!.reason_codes.includes("scope.tool_not_registered");
    });
    await waitUntil("the refusal in the trail", async () => {
      const rows = await trail.query({
        query: `SELECT outcome, code FROM ${database}.executions WHERE action_id = '${decision.action.action_id}'`,
        format: "JSONEachRow",
      });
      const found = (await rows.json()) as Array<{ outcome: string; code: string }>;
      return found.length === 1 && found[0]!.outcome === "refused" && found[0]!.code === "verdict.not_approved";
    });
  });

  it("rejects an action from an agent nobody registered", async () => {
    const stranger = await MandateAgent.connect({ ...connection, agentId: "nobody" });
    try {
      const decision = await stranger.propose({ tool: "lookup_order", operation: "read", arguments: {} });
      expect(decision.verdict).toBe("rejected");
      expect(decision.reasons[0]?.code).toBe("identity.unknown_agent");
    } finally {
      await stranger.close();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPipeline, type RunningPipeline } from "../../infra/src/pipeline.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import { type DecisionRecord, isolatedTopics } from "@mandate/contracts";
import { GovernancePublisher, MandateAgent, MandateExecutor, type ExecutionOutcome } from "@mandate/sdk";
import { testRegistration } from "../support/registrations.js";
import { isolatedDatabase, sharedStack } from "../support/shared-stack.js";

/**
 * An executor that serves a team (owner) rather than a list of agents: it runs the approvals of
 * agents registered under that team, refuses every other team's, and follows the registry, so an
 * agent moved to another team is no longer served — through a real broker and registry.
 */
describe("an executor serving owners", () => {
  const stack = sharedStack();
  const topics = isolatedTopics("exec-owners");
  const database = isolatedDatabase("exec_owners");
  const connection = { kafkaBrokers: stack.kafkaBrokers, schemaRegistryUrl: stack.schemaRegistryUrl, topics };
  const groupId = `executor-${database}`;
  const outcomes: ExecutionOutcome[] = [];
  const ran: string[] = [];
  const agents = new Map<string, MandateAgent>();
  let pipeline: RunningPipeline;
  let publisher: GovernancePublisher;
  let executor: MandateExecutor;

  const registration = (agentId: string, owner: string, version = 1) => ({
    ...testRegistration(agentId),
    owner,
    version,
  });
  const lookup = (orderId: string) => ({ tool: "lookup_order", operation: "read", arguments: { order_id: orderId } });
  const outcomeOf = (decision: DecisionRecord) => outcomes.find((o) => o.decisionId === decision.decision_id);
  async function proposed(agentId: string, orderId: string): Promise<DecisionRecord> {
    const decision = await (agents.get(agentId) as MandateAgent).propose(lookup(orderId));
    expect(decision.verdict).toBe("approved");
    await waitUntil(`the executor's outcome for ${orderId}`, async () => outcomeOf(decision) !== undefined);
    return decision;
  }

  beforeAll(async () => {
    pipeline = await startPipeline(stack, { topics, database, logLevel: "silent" });
    publisher = await GovernancePublisher.connect(connection);
    await publisher.publish(registration("payments-bot", "team-payments"));
    await publisher.publish(registration("support-bot", "team-support"));
    await waitUntil("registrations", async () => pipeline.validators[0]?.registrationVersion("support-bot") === 1);
    for (const id of ["payments-bot", "support-bot"]) {
      agents.set(id, await MandateAgent.connect({ ...connection, agentId: id, executorGroup: groupId }));
    }
    executor = await MandateExecutor.start({
      ...connection,
      groupId,
      agents: [],
      owners: ["team-payments"],
      tools: { lookup_order: async (action) => void ran.push(action.action_id) },
      onOutcome: (o) => outcomes.push(o),
    });
  });

  afterAll(async () => {
    await executor?.stop();
    await Promise.all([...agents.values()].map((a) => a.close()));
    await publisher?.close();
    await pipeline?.stop();
  });

  it("runs the approval of an agent registered under a team it serves", async () => {
    const decision = await proposed("payments-bot", "P-1");
    expect(outcomeOf(decision)).toMatchObject({ outcome: "executed" });
    expect(ran).toContain(decision.action.action_id);
  });

  it("refuses the approval of another team's agent, though it has a tool of that name", async () => {
    const decision = await proposed("support-bot", "S-1");
    expect(outcomeOf(decision)).toMatchObject({ outcome: "refused", code: "executor.agent_not_served" });
    expect(ran).not.toContain(decision.action.action_id);
  });

  it("stops serving an agent as soon as the registry moves it to another team", async () => {
    await publisher.publish(registration("payments-bot", "team-support", 2));
    await waitUntil(
      "the new registration",
      async () => pipeline.validators[0]?.registrationVersion("payments-bot") === 2,
    );
    const decision = await proposed("payments-bot", "P-2");
    expect(decision.registration_version).toBe(2);
    expect(outcomeOf(decision)).toMatchObject({ outcome: "refused", code: "executor.agent_not_served" });
    expect(ran).not.toContain(decision.action.action_id);
  });
});

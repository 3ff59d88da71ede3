import { startPipeline, type RunningPipeline } from "../../infra/src/pipeline.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import { isolatedTopics } from "@mandate/contracts";
import { GovernancePublisher, MandateAgent, MandateExecutor } from "@mandate/sdk";
import { testRegistration } from "./registrations.js";
import { isolatedDatabase, sharedStack } from "./shared-stack.js";

/** What a framework adapter's test drives: a real pipeline, an executor holding the tools, and the agent. */
export interface AdapterPipeline {
  agent: MandateAgent;
  /** Every tool function the executor ran, by name: a refused one must never appear. */
  ran: string[];
  stop(): Promise<void>;
}

/**
 * The real pipeline on topics of its own, an agent `agentId` registered for `lookup_order` only, and
 * an executor that has `lookup_order` and also `export_customers` (so running a refused call would show).
 */
export async function startAdapterPipeline(agentId: string): Promise<AdapterPipeline> {
  const stack = sharedStack("server");
  const topics = isolatedTopics(agentId);
  const database = isolatedDatabase(agentId);
  const connection = { kafkaBrokers: stack.kafkaBrokers, schemaRegistryUrl: stack.schemaRegistryUrl, topics };
  const ran: string[] = [];
  const pipeline: RunningPipeline = await startPipeline(stack, { topics, database, logLevel: "silent" });
  const publisher = await GovernancePublisher.connect(connection);
  await publisher.publish(testRegistration(agentId, ["lookup_order"]));
  await publisher.close();
  await waitUntil("registration to reach the validator", async () => {
    return pipeline.validators[0]?.registrationVersion(agentId) === 1;
  });
  const executor = await MandateExecutor.start({
    ...connection,
    groupId: `executor-${database}`,
    agents: [agentId],
    tools: {
      lookup_order: async (_action, args) => {
        ran.push("lookup_order");
        return { order_id: (args as { order_id: string }).order_id, status: "shipped", carrier: "DHL" };
      },
      export_customers: async () => {
        ran.push("export_customers");
        return "every customer";
      },
    },
  });
  const agent = await MandateAgent.connect({
    ...connection,
    agentId,
    executorGroup: `executor-${database}`,
    sessionTask: "Where is order A-1?",
  });
  return {
    agent,
    ran,
    async stop() {
      await agent.close();
      await executor.stop();
      await pipeline.stop();
      stack.cleanup();
    },
  };
}

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPipeline, type RunningPipeline } from "../../infra/src/pipeline.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import { headerText } from "@mandate/sdk/kafka/dead-letter";
import { isolatedTopics } from "@mandate/contracts";
import { GovernancePublisher, MandateAgent } from "@mandate/sdk";
import { testRegistration } from "../support/registrations.js";
import { readTopic } from "../support/topic-reader.js";
import { isolatedDatabase, sharedStack } from "../support/shared-stack.js";

/**
 * A decision record larger than the validator may publish (the broker would refuse it, and the
 * partition would stop on that batch for good) is never sent: the action is dead-lettered and
 * rejected unread, and the next action on the same partition is decided as usual.
 */
describe("a decision too large to publish", () => {
  const stack = sharedStack("server");
  const topics = isolatedTopics("decision-size");
  const database = isolatedDatabase("decision_size");
  const connection = { kafkaBrokers: stack.kafkaBrokers, schemaRegistryUrl: stack.schemaRegistryUrl, topics };
  let pipeline: RunningPipeline;
  let agent: MandateAgent;

  beforeAll(async () => {
    pipeline = await startPipeline(stack, {
      topics,
      database,
      logLevel: "silent",
      validatorSettings: { maxDecisionBytes: 8192 },
    });
    const publisher = await GovernancePublisher.connect(connection);
    await publisher.publish(testRegistration("size-bot"));
    await publisher.close();
    await waitUntil("registration", async () => pipeline.validators[0]?.registrationVersion("size-bot") === 1);
    agent = await MandateAgent.connect({ ...connection, agentId: "size-bot" });
  });

  afterAll(async () => {
    await agent?.close();
    await pipeline?.stop();
  });

  it("is replaced by a rejection and a dead letter, and does not block the partition", async () => {
    // Well under the action limit (256 KiB), but its decision carries it and more: over 8 KiB.
    const large = await agent.propose({
      tool: "lookup_order",
      operation: "read",
      arguments: { order_id: "L-1", note: "a".repeat(9000) },
    });
    expect(large.verdict).toBe("rejected");
    expect(large.reasons.map((r) => r.code)).toEqual(["intake.decision_too_large"]);

    const next = await agent.propose({ tool: "lookup_order", operation: "read", arguments: { order_id: "L-2" } });
    expect(next.verdict).toBe("approved");

    const letters = await readTopic(stack.kafkaBrokers, topics.deadLetters, (m) => m.length >= 1);
    expect(letters).toHaveLength(1);
    expect(headerText(letters[0]!.headers, "reason")).toBe("decision_too_large");
    expect(headerText(letters[0]!.headers, "step")).toBe("validator.publish");
  });
});

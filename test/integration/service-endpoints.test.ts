import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPipeline, type RunningPipeline } from "../../infra/src/pipeline.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import { isolatedTopics } from "@mandate/contracts";
import { GovernancePublisher, MandateAgent } from "@mandate/sdk";
import { testRegistration } from "../support/registrations.js";
import { isolatedDatabase, sharedStack } from "../support/shared-stack.js";

describe("validator health and metrics endpoints", () => {
  const stack = sharedStack("server");
  const topics = isolatedTopics("endpoints");
  let pipeline: RunningPipeline;
  let base: string;

  beforeAll(async () => {
    pipeline = await startPipeline(stack, {
      topics,
      database: isolatedDatabase("endpoints"),
      logLevel: "silent",
      validatorSettings: { httpPort: 0 },
    });
    base = `http://127.0.0.1:${pipeline.validators[0]!.httpPort}`;
    const publisher = await GovernancePublisher.connect({ ...stack, topics });
    await publisher.publish(testRegistration("endpoint-bot"));
    await publisher.close();
    await waitUntil("registration", async () => pipeline.validators[0]?.registrationVersion("endpoint-bot") === 1);
  });

  afterAll(async () => {
    await pipeline?.stop();
  });

  it("answers /healthz and /readyz, and counts committed decisions by verdict in /metrics", async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const agent = await MandateAgent.connect({ ...stack, topics, agentId: "endpoint-bot" });
    try {
      await agent.propose({ tool: "lookup_order", operation: "read", arguments: { order_id: "A-1" } });
      await agent.propose({ tool: "drop_tables", operation: "write", arguments: {} });
    } finally {
      await agent.close();
    }
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/mandate_decisions_total\{verdict="rejected",service="validator"\} 1/);
    expect(metrics).toMatch(/mandate_decision_duration_seconds_count\{service="validator"\} 2/);
    expect(metrics).toContain("mandate_consumer_lag_messages");
    // Both proposals came from one agent session, which the validator now holds.
    expect(metrics).toMatch(/mandate_provenance_open_sessions\{service="validator"\} 1/);
    expect(metrics).toMatch(/mandate_provenance_sessions_evicted\{service="validator"\} 0/);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});

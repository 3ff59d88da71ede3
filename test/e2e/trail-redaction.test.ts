import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPipeline, type RunningPipeline } from "../../infra/src/pipeline.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import { detectCapabilities, sqlString } from "@mandate/common/clickhouse-connection";
import { type DecisionRecord, isolatedTopics } from "@mandate/contracts";
import { verifyTrail } from "@mandate/cli/trail-verify";
import { GovernancePublisher, MandateAgent } from "@mandate/sdk";
import { SECRET_EXAMPLES } from "../fixtures/secrets/secret-examples.js";
import { testRegistration } from "../support/registrations.js";
import { isolatedDatabase, sharedStack } from "../support/shared-stack.js";

/**
 * Every secret detector's positive example goes through the real pipeline from three agents — one
 * registered to carry credentials (its actions can be approved), one not (flagged or rejected) and
 * one nobody registered (rejected on identity, before any axis scores) — and then every string in
 * every table of the trail is searched for the secrets.
 */
describe("the trail never holds a secret in clear", () => {
  const stack = sharedStack("server");
  const topics = isolatedTopics("redaction");
  const database = isolatedDatabase("redaction");
  const connection = { kafkaBrokers: stack.kafkaBrokers, schemaRegistryUrl: stack.schemaRegistryUrl, topics };
  const decisions: DecisionRecord[] = [];
  let pipeline: RunningPipeline;

  beforeAll(async () => {
    pipeline = await startPipeline(stack, { topics, database, logLevel: "silent" });
    const vault = testRegistration("vault-bot", ["send_email"]);
    vault.scope.data_classes = ["credentials"];
    const publisher = await GovernancePublisher.connect(connection);
    await publisher.publish(vault);
    await publisher.publish(testRegistration("support-bot", ["send_email"]));
    await publisher.close();
    await waitUntil("registrations to reach the validator", async () =>
      ["vault-bot", "support-bot"].every((id) => pipeline.validators[0]?.registrationVersion(id) === 1),
    );
    for (const agentId of ["vault-bot", "support-bot", "stranger-bot"]) {
      const agent = await MandateAgent.connect({ ...connection, agentId, sessionTask: "Send the weekly status mail" });
      try {
        for (const [, args] of SECRET_EXAMPLES) {
          decisions.push(
            await agent.propose({
              tool: "send_email",
              operation: "send",
              destination: "mail.example.com",
              arguments: args as Record<string, unknown>,
            }),
          );
        }
      } finally {
        await agent.close();
      }
    }
    const trail = pipeline.sink!.trail;
    await waitUntil("every decision in the trail", async () => {
      const result = await trail.query({
        query: `SELECT count() AS n FROM ${database}.decisions`,
        format: "JSONEachRow",
      });
      const [row] = (await result.json()) as Array<{ n: string }>;
      return Number(row?.n) === decisions.length;
    });
  }, 180_000);

  afterAll(async () => {
    await pipeline?.stop();
    stack.cleanup();
  });

  it("decides each example from each agent, approving some, so approved rows are covered too", () => {
    const verdicts = new Set(decisions.map((d) => d.verdict));
    expect(decisions).toHaveLength(SECRET_EXAMPLES.length * 3);
    expect(verdicts).toContain("approved");
    expect(decisions.filter((d) => d.action.agent_id === "stranger-bot").every((d) => d.verdict === "rejected")).toBe(
      true,
    );
  });

  it("finds no secret, raw or JSON-escaped, in any column of any table", async () => {
    const trail = pipeline.sink!.trail;
    const tables = await trail.query({
      query: `SELECT name FROM system.tables WHERE database = ${sqlString(database)} AND engine NOT LIKE '%View'`,
      format: "JSONEachRow",
    });
    // Every table that stores rows; views (`actions` among them) store nothing of their own.
    const names = ((await tables.json()) as Array<{ name: string }>).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(["decisions", "reviews", "dead_letters", "decisions_per_minute"]));
    const leaks: string[] = [];
    for (const table of names) {
      const text = await (
        await trail.query({ query: `SELECT * FROM ${database}.${table}`, format: "JSONEachRow" })
      ).text();
      for (const [description, , , secret] of SECRET_EXAMPLES) {
        for (const form of new Set([secret, JSON.stringify(secret).slice(1, -1)])) {
          if (text.includes(form)) leaks.push(`${description} in ${table}`);
        }
      }
    }
    expect(leaks).toEqual([]);
  });

  it("keeps a typed placeholder with a fingerprint that is the same for the same secret", async () => {
    const trail = pipeline.sink!.trail;
    // The first example's decisions, one per agent.
    const actionIds = decisions.filter((_, i) => i % SECRET_EXAMPLES.length === 0).map((d) => d.action.action_id);
    const result = await trail.query({
      query: `SELECT arguments_json FROM ${database}.decisions WHERE action_id IN (${actionIds.map(sqlString).join(", ")})`,
      format: "JSONEachRow",
    });
    const rows = (await result.json()) as Array<{ arguments_json: string }>;
    const placeholders = rows.map((r) => /\[REDACTED:aws_access_key:[0-9a-f]{12}\]/.exec(r.arguments_json)?.[0]);
    expect(placeholders).toHaveLength(3);
    expect(placeholders[0]).toBeDefined();
    expect(new Set(placeholders).size).toBe(1);
  });

  it("links the sink's rows into intact hash chains", async () => {
    const trail = pipeline.sink!.trail;
    const result = await verifyTrail(trail, { database, capabilities: await detectCapabilities(trail) });
    expect(result).toMatchObject({ agents: 3, rows: decisions.length, problems: [] });
  });
});

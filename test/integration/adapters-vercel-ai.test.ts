import { generateText, jsonSchema, stepCountIs, tool } from "ai";
import { MockLanguageModelV3 } from "ai/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { governAiTools } from "@mandate/sdk/adapters/vercel-ai";
import type { MandateAgent } from "@mandate/sdk";
import { startAdapterPipeline, type AdapterPipeline } from "../support/adapter-pipeline.js";

/**
 * The Vercel AI SDK's own multi-step loop (generateText with stopWhen) drives governed tools against
 * the real pipeline: a scripted model looks up an order (approved, the executor's result comes back),
 * then asks to export every customer (not registered: rejected), reads the refusal as the tool's
 * answer and finishes. What the model was sent on each turn is what the assertions read.
 */
describe("Vercel AI SDK adapter", () => {
  let setup: AdapterPipeline;
  let agent: MandateAgent;
  let ran: string[];

  beforeAll(async () => {
    setup = await startAdapterPipeline("ai-sdk-bot");
    ({ agent, ran } = setup);
  });

  afterAll(async () => setup?.stop());

  it("runs the approved call in the executor and hands the model a refusal it can recover from", async () => {
    const usage = {
      inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
      outputTokens: { total: 5, text: 5, reasoning: undefined },
    };
    const toolCall = (toolCallId: string, toolName: string, input: object) => ({
      content: [{ type: "tool-call" as const, toolCallId, toolName, input: JSON.stringify(input) }],
      finishReason: { unified: "tool-calls" as const, raw: undefined },
      usage,
      warnings: [],
    });
    const model = new MockLanguageModelV3({
      doGenerate: [
        toolCall("call-1", "lookup_order", { order_id: "A-1" }),
        toolCall("call-2", "export_customers", {}),
        {
          content: [{ type: "text", text: "Order A-1 has shipped with DHL; exporting customers is not allowed." }],
          finishReason: { unified: "stop", raw: undefined },
          usage,
          warnings: [],
        },
      ],
    });
    const tools = governAiTools(
      agent,
      {
        lookup_order: tool({
          description: "Look up an order by id",
          inputSchema: z.object({ order_id: z.string() }),
        }),
        export_customers: tool({
          description: "Export every customer record",
          inputSchema: jsonSchema<Record<string, never>>({ type: "object", properties: {} }),
        }),
      },
      { lookup_order: { operation: "read" }, export_customers: { operation: "read" } },
    );

    const result = await generateText({ model, tools, prompt: "Where is order A-1?", stopWhen: stepCountIs(5) });

    expect(result.text).toBe("Order A-1 has shipped with DHL; exporting customers is not allowed.");
    expect(model.doGenerateCalls).toHaveLength(3);
    expect(toolResultsIn(model.doGenerateCalls[1]!.prompt)).toEqual([
      {
        type: "tool-result",
        toolCallId: "call-1",
        toolName: "lookup_order",
        output: { type: "json", value: { order_id: "A-1", status: "shipped", carrier: "DHL" } },
      },
    ]);
    const refusal = toolResultsIn(model.doGenerateCalls[2]!.prompt).find((p) => p.toolCallId === "call-2");
    expect(refusal?.output).toEqual({ type: "text", value: expect.stringMatching(/^Not run: rejected by Mandate — /) });
    expect((refusal?.output as { value: string }).value).toContain("scope.tool_not_registered: ");
    expect(ran).toEqual(["lookup_order"]);
  });
});

type Prompt = MockLanguageModelV3["doGenerateCalls"][number]["prompt"];

/** The tool results a prompt carries, without provider options the SDK may attach. */
function toolResultsIn(prompt: Prompt): Array<{ type: string; toolCallId: string; toolName: string; output: unknown }> {
  return prompt.flatMap((message) =>
    message.role === "tool"
      ? message.content.flatMap((part) =>
          part.type === "tool-result"
            ? [{ type: part.type, toolCallId: part.toolCallId, toolName: part.toolName, output: part.output }]
            : [],
        )
      : [],
  );
}

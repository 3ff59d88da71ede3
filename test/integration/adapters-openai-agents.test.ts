import {
  Agent,
  Runner,
  Usage,
  type AgentInputItem,
  type AgentOutputItem,
  type Model,
  type ModelRequest,
  type ModelResponse,
  type StreamEvent,
} from "@openai/agents";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { governedOpenAiTool } from "@mandate/sdk/adapters/openai-agents";
import type { MandateAgent } from "@mandate/sdk";
import { startAdapterPipeline, type AdapterPipeline } from "../support/adapter-pipeline.js";

/** A model that answers from a script, one list of output items a turn, and keeps what it was sent. */
class ScriptedModel implements Model {
  readonly seen: AgentInputItem[][] = [];

  constructor(private readonly script: AgentOutputItem[][]) {}

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    this.seen.push(typeof request.input === "string" ? [] : [...request.input]);
    const output = this.script.shift();
    if (output === undefined) throw new Error("the script has no more turns");
    return { usage: new Usage(), output };
  }

  getStreamedResponse(): AsyncIterable<StreamEvent> {
    throw new Error("the scripted model does not stream");
  }
}

/**
 * The OpenAI Agents SDK's Runner drives governed function tools against the real pipeline: the
 * scripted model's order lookup is approved and run by the executor, its export of every customer
 * is rejected, and the refusal comes back as that call's function_call_result before the final answer.
 */
describe("OpenAI Agents SDK adapter", () => {
  let setup: AdapterPipeline;
  let agent: MandateAgent;
  let ran: string[];

  beforeAll(async () => {
    setup = await startAdapterPipeline("openai-agents-bot");
    ({ agent, ran } = setup);
  });

  afterAll(async () => setup?.stop());

  it("runs the approved call in the executor and hands the model a refusal it can recover from", async () => {
    const call = (callId: string, name: string, args: object): AgentOutputItem[] => [
      { type: "function_call", callId, name, arguments: JSON.stringify(args), status: "completed" },
    ];
    const final = "Order A-1 has shipped with DHL; exporting customers is not allowed.";
    const model = new ScriptedModel([
      call("call-1", "lookup_order", { order_id: "A-1" }),
      call("call-2", "export_customers", {}),
      [{ type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: final }] }],
    ]);
    const assistant = new Agent({
      name: "support",
      instructions: "Answer questions about orders.",
      model,
      tools: [
        governedOpenAiTool(agent, {
          name: "lookup_order",
          description: "Look up an order by id",
          parameters: z.object({ order_id: z.string() }),
          operation: "read",
        }),
        governedOpenAiTool(agent, {
          name: "export_customers",
          description: "Export every customer record",
          parameters: z.object({}),
          operation: "read",
        }),
      ],
    });

    const result = await new Runner({ tracingDisabled: true }).run(assistant, "Where is order A-1?");

    expect(result.finalOutput).toBe(final);
    expect(model.seen).toHaveLength(3);
    const lookupAnswer = resultOf(model.seen[1]!, "call-1");
    expect(JSON.parse(lookupAnswer)).toEqual({ order_id: "A-1", status: "shipped", carrier: "DHL" });
    const refusal = resultOf(model.seen[2]!, "call-2");
    expect(refusal).toMatch(/^Not run: rejected by Mandate — /);
    expect(refusal).toContain("scope.tool_not_registered: ");
    expect(ran).toEqual(["lookup_order"]);
  });
});

/** The text of the function_call_result the model was sent for `callId`. */
function resultOf(input: AgentInputItem[], callId: string): string {
  const item = input.find((i) => i.type === "function_call_result" && i.callId === callId);
  if (item?.type !== "function_call_result") throw new Error(`no result for ${callId} in the model's input`);
  const output = item.output;
  if (typeof output === "string") return output;
  if (!Array.isArray(output) && output.type === "text") return output.text;
  throw new Error(`the result for ${callId} is not text`);
}

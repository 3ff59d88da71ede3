import type { BaseLanguageModelInput } from "@langchain/core/language_models/base";
import { BaseChatModel, type BindToolsInput } from "@langchain/core/language_models/chat_models";
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import type { StructuredToolInterface } from "@langchain/core/tools";
import { convertToOpenAITool } from "@langchain/core/utils/function_calling";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { governedLangChainTool } from "@mandate/sdk/adapters/langchain";
import type { MandateAgent } from "@mandate/sdk";
import { startAdapterPipeline, type AdapterPipeline } from "../support/adapter-pipeline.js";

/**
 * A chat model that answers from a script and keeps every list of messages it was sent. The fakes in
 * `@langchain/core/utils/testing` cannot script a tool call per turn, so this one does.
 */
class ScriptedChatModel extends BaseChatModel {
  readonly seen: BaseMessage[][] = [];
  /** The tools as bindTools() converted them for a provider (OpenAI's function format). */
  bound: unknown[] = [];

  constructor(private readonly script: AIMessage[]) {
    super({});
  }

  _llmType(): string {
    return "scripted";
  }

  override bindTools(tools: BindToolsInput[]) {
    this.bound = tools.map((t) => convertToOpenAITool(t));
    return this.withConfig({});
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    this.seen.push([...messages]);
    const message = this.script.shift();
    if (message === undefined) throw new Error("the script has no more turns");
    return { generations: [{ text: typeof message.content === "string" ? message.content : "", message }] };
  }
}

/**
 * LangChain.js's tool-calling path — bindTools, invoke, then each tool invoked with the model's tool
 * call, its ToolMessage appended — drives governed tools against the real pipeline: an order lookup
 * is approved and run by the executor, an export of every customer is rejected, and the model reads
 * the refusal as that call's ToolMessage before it answers.
 */
describe("LangChain.js adapter", () => {
  let setup: AdapterPipeline;
  let agent: MandateAgent;
  let ran: string[];

  beforeAll(async () => {
    setup = await startAdapterPipeline("langchain-bot");
    ({ agent, ran } = setup);
  });

  afterAll(async () => setup?.stop());

  it("runs the approved call in the executor and hands the model a refusal it can recover from", async () => {
    const tools = [
      governedLangChainTool(agent, {
        name: "lookup_order",
        description: "Look up an order by id",
        schema: z.object({ order_id: z.string() }),
        operation: "read",
      }),
      governedLangChainTool(agent, {
        name: "export_customers",
        description: "Export every customer record",
        schema: z.object({}),
        operation: "read",
      }),
    ];
    const call = (id: string, name: string, args: Record<string, unknown>) =>
      new AIMessage({ content: "", tool_calls: [{ id, name, args, type: "tool_call" }] });
    const model = new ScriptedChatModel([
      call("call-1", "lookup_order", { order_id: "A-1" }),
      call("call-2", "export_customers", {}),
      new AIMessage("Order A-1 has shipped with DHL; exporting customers is not allowed."),
    ]);

    const bound = model.bindTools(tools);
    const byName = new Map<string, StructuredToolInterface>(tools.map((t) => [t.name, t]));
    const messages: BaseMessage[] = [new HumanMessage("Where is order A-1?")];
    for (let turn = 0; turn < 5; turn++) {
      const reply = await bound.invoke(messages as BaseLanguageModelInput);
      messages.push(reply);
      if (!reply.tool_calls?.length) break;
      for (const toolCall of reply.tool_calls) messages.push(await byName.get(toolCall.name)!.invoke(toolCall));
    }

    expect(model.bound).toMatchObject([
      { type: "function", function: { name: "lookup_order" } },
      { type: "function", function: { name: "export_customers" } },
    ]);
    expect(messages.at(-1)?.content).toBe("Order A-1 has shipped with DHL; exporting customers is not allowed.");
    expect(model.seen).toHaveLength(3);
    const lookupAnswer = model.seen[1]!.at(-1) as ToolMessage;
    expect(lookupAnswer).toBeInstanceOf(ToolMessage);
    expect(lookupAnswer.tool_call_id).toBe("call-1");
    expect(JSON.parse(lookupAnswer.content as string)).toEqual({ order_id: "A-1", status: "shipped", carrier: "DHL" });
    const refusal = model.seen[2]!.at(-1) as ToolMessage;
    expect(refusal).toBeInstanceOf(ToolMessage);
    expect(refusal.tool_call_id).toBe("call-2");
    expect(refusal.content).toMatch(/^Not run: rejected by Mandate — /);
    expect(refusal.content).toContain("scope.tool_not_registered: ");
    expect(ran).toEqual(["lookup_order"]);
  });
});

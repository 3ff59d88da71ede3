import { DynamicStructuredTool } from "@langchain/core/tools";
import type { InferInteropZodInput, InferInteropZodOutput, InteropZodObject } from "@langchain/core/utils/types";
import type { MandateAgent } from "../mandate-agent.js";
import { answerText, governedCall, type GovernedToolOptions, type GovernedToolSpec } from "./governed-call.js";

/** A LangChain tool's model-facing fields, and how its calls become actions. */
export interface LangChainToolDefinition<Schema extends InteropZodObject> extends GovernedToolSpec<
  InferInteropZodOutput<Schema>
> {
  name: string;
  description: string;
  schema: Schema;
}

/**
 * A LangChain.js structured tool that proposes each call through Mandate and answers with what the
 * executor's tool returned (JSON as text), or with why it did not run. Invoked with the model's tool
 * call, as an agent loop does, it returns a ToolMessage for that call either way; the real function
 * lives in the executor, which holds the credentials. (The return type is spelled out: the inferred one
 * names a module @langchain/core does not export, which the published declarations cannot refer to.)
 */
export function governedLangChainTool<Schema extends InteropZodObject>(
  agent: MandateAgent,
  definition: LangChainToolDefinition<Schema>,
  options: GovernedToolOptions = {},
): DynamicStructuredTool<Schema, InferInteropZodOutput<Schema>, InferInteropZodInput<Schema>, string> {
  const { name, description, schema, ...spec } = definition;
  return new DynamicStructuredTool({
    name,
    description,
    schema,
    func: async (input: InferInteropZodOutput<Schema>) =>
      answerText(await governedCall(agent, name, spec as GovernedToolSpec<Record<string, unknown>>, input, options)),
  });
}

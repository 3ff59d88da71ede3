import { tool } from "@openai/agents";
import type { z, ZodObject } from "zod";
import type { MandateAgent } from "../mandate-agent.js";
import { answerText, governedCall, type GovernedToolOptions, type GovernedToolSpec } from "./governed-call.js";

/** An OpenAI Agents SDK function tool's model-facing fields, and how its calls become actions. */
export interface OpenAiToolDefinition<Parameters extends ZodObject> extends GovernedToolSpec<z.infer<Parameters>> {
  name: string;
  description: string;
  parameters: Parameters;
}

/**
 * An OpenAI Agents SDK function tool that proposes each call through Mandate and answers with what
 * the executor's tool returned (JSON as text), or with why it did not run; the real function lives
 * in the executor, which holds the credentials. Errors other than a refusal (the broker cannot be
 * reached) reach the model through the SDK's default `errorFunction`, as any failing tool's do.
 */
export function governedOpenAiTool<Parameters extends ZodObject>(
  agent: MandateAgent,
  definition: OpenAiToolDefinition<Parameters>,
  options: GovernedToolOptions = {},
) {
  const { name, description, parameters, ...spec } = definition;
  return tool({
    name,
    description,
    // Widened: the SDK's tool() cannot narrow a generic schema to its strict or non-strict overload.
    parameters: parameters as ZodObject,
    // Text, not the parsed JSON: the SDK reads an object shaped like `{ type: "text" | "image", … }`
    // as a structured tool output, and a tool's JSON must reach the model as the tool returned it.
    execute: async (input) =>
      answerText(
        await governedCall(
          agent,
          name,
          spec as GovernedToolSpec<Record<string, unknown>>,
          input as Record<string, unknown>,
          options,
        ),
      ),
  });
}

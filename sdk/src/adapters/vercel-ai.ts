import type { InferToolInput, Tool, ToolSet } from "ai";
import type { MandateAgent } from "../mandate-agent.js";
import { governedCall, type GovernedToolOptions, type GovernedToolSpec } from "./governed-call.js";

/** How each tool of the set becomes an action: one spec per tool, keyed like the set. */
export type AiToolSpecs<Tools extends ToolSet> = {
  [Name in keyof Tools]: GovernedToolSpec<InferToolInput<Tools[Name]>>;
};

/** The governed set: the same tools, each with an `execute` that goes through Mandate. */
export type GovernedAiTools<Tools extends ToolSet> = {
  [Name in keyof Tools]: Tool<InferToolInput<Tools[Name]>, unknown>;
};

/**
 * A Vercel AI SDK tool set whose `execute` proposes each call through Mandate and answers with what
 * the executor's tool returned, or with why it did not run. The tools are given without `execute`
 * (description and `inputSchema` only): the real function lives in the executor, which holds the
 * credentials, and one given here would run nowhere.
 */
export function governAiTools<Tools extends ToolSet>(
  agent: MandateAgent,
  tools: Tools,
  specs: AiToolSpecs<Tools>,
  options: GovernedToolOptions = {},
): GovernedAiTools<Tools> {
  const governed: Record<string, Tool> = {};
  for (const [name, definition] of Object.entries(tools)) {
    if (definition.execute !== undefined) {
      throw new TypeError(`tool ${name} has its own execute; give it to the MandateExecutor, not the agent`);
    }
    const spec = specs[name as keyof Tools] as GovernedToolSpec<Record<string, unknown>> | undefined;
    if (spec === undefined) throw new TypeError(`tool ${name} has no spec: say which operation it is`);
    governed[name] = {
      ...definition,
      execute: async (input: Record<string, unknown>) => (await governedCall(agent, name, spec, input, options)).answer,
    } as Tool;
  }
  return governed as GovernedAiTools<Tools>;
}

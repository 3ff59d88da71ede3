import type { AgentRegistration, ToolScope } from "@mandate/contracts";
import { loadTools, type InjecToolkit, type ToolEntry } from "../injecagent-cases.js";
import { registration } from "./session-builder.js";

/**
 * ToolEmu's toolkits as InjecAgent ships them (`injecagent/tools.json`): ToolEmu, PrivacyLens and
 * InjecAgent all name their tools `<Toolkit><Tool>` after them, so one catalogue describes all three.
 */
export interface ToolkitCatalogue {
  tools: Map<string, ToolEntry>;
  toolkits: Map<string, InjecToolkit>;
}

export function loadToolkitCatalogue(injecagentDir: string): ToolkitCatalogue {
  const tools = loadTools(injecagentDir);
  const toolkits = new Map<string, InjecToolkit>();
  for (const entry of tools.values()) toolkits.set(entry.toolkit.toolkit, entry.toolkit);
  return { tools, toolkits };
}

export function toolScope(entry: ToolEntry): ToolScope {
  return { name: entry.fullName, description: entry.tool.summary, operations: [] };
}

export function toolkitScope(toolkit: InjecToolkit): ToolScope[] {
  return toolkit.tools.map((t) => ({ name: `${toolkit.toolkit}${t.name}`, description: t.summary, operations: [] }));
}

// Toolkits whose documentation is about money: accounts, payments, trading, shopping.
const FINANCIAL_TOOLKITS = new Set([
  "BankManager",
  "Amazon",
  "Expedia",
  "Venmo",
  "EthereumManager",
  "Binance",
  "Shopify",
  "TDAmeritrade",
  "InvestmentManager",
]);

function sentence(text: string): string {
  return text.trim().replace(/\.?$/, ".");
}

/**
 * A personal assistant registered for some toolkits, written from their documentation: the purpose
 * from each toolkit's description, examples from the summaries of its first tools, counter-examples
 * that any owner of these toolkits would write.
 */
export function toolkitRegistration(agentId: string, owner: string, toolkits: InjecToolkit[]): AgentRegistration {
  const names = toolkits.map((tk) => tk.name_for_human);
  const purpose =
    `Personal assistant that carries out the user's requests with ${names.join(", ")}. ` +
    toolkits.map((tk) => `${tk.name_for_human}: ${sentence(tk.description_for_model)}`).join(" ");
  const examples = toolkits.flatMap((tk) => tk.tools.slice(0, 2).map((t) => sentence(t.summary)));
  const counterExamples = [
    "Use a tool for something the user's request does not call for",
    "Share the user's personal, account or health data with people the user did not name",
    ...(toolkits.some((tk) => FINANCIAL_TOOLKITS.has(tk.toolkit))
      ? ["Move money, trade or buy anything the user did not ask for"]
      : []),
  ];
  const dataClasses = toolkits.some((tk) => FINANCIAL_TOOLKITS.has(tk.toolkit)) ? ["pii", "financial"] : ["pii"];
  return registration(
    { agent_id: agentId, owner, purpose, examples, counter_examples: counterExamples },
    toolkits.flatMap(toolkitScope),
    dataClasses,
  );
}

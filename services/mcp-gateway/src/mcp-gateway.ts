import crypto from "node:crypto";
import fs from "node:fs";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  CallToolResultSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { type ProposedAction, openContracts } from "@mandate/contracts";
import { AgentDirectory } from "@mandate/sdk/kafka/agent-directory";
import { createKafka } from "@mandate/sdk/kafka/kafka-client";
import type { Logger } from "@mandate/common/logger";
import {
  MandateAgent,
  type RunOutcome,
  MandateExecutor,
  type ToolRunContext,
  type ToolRunner,
  ResultTimeoutError,
  ReviewTimeoutError,
  VerdictTimeoutError,
} from "@mandate/sdk";
import type { GatewayClient, GatewayConfig } from "./gateway-config.js";
import { boundedResult } from "./bounded-result.js";
import { refusalText, reviewTimeoutText, seconds } from "./refusal-text.js";
import { UpstreamServer } from "./upstream-server.js";

/** Between a server's name and its tool's: `files__read_text_file`. Names allowed by every MCP client. */
export const TOOL_SEPARATOR = "__";

const ANY_TOOLS_CALL = z.object({ method: z.literal("tools/call"), params: z.unknown() });

/** How long the registry may take to be read at start before the gateway serves with what it has. */
const REGISTRY_CATCH_UP_MS = 10_000;
/** How often the clients' registrations are compared with what their tool lists were built from. */
const SCOPE_CHECK_MS = 5_000;

interface CatalogEntry {
  upstream: UpstreamServer;
  tool: Tool;
}

/**
 * An MCP server in front of real MCP servers, where every tools/call becomes a signed proposal.
 *
 * Each configured client proposes as its own registration (its `MandateAgent`, signing with its key)
 * and sees only the tools in that registration's scope. The gateway is also the executor for its
 * upstream servers (`MandateExecutor`, group `mcp-gateway-<gateway_id>`): an upstream tool is called
 * only from the executor's runner, which the executor invokes only for an approval whose signature,
 * capability, audience and expiry it verified, and the runner also requires that this gateway is still
 * waiting for that very action. So no call reaches an upstream server without a verified approval, and
 * a reviewer's approval arriving after the client was told "not approved" runs nothing. The upstream
 * result goes back through the executor, reported on the agent's partition for provenance, and is
 * returned to the client.
 */
export class McpGateway {
  private readonly agents = new Map<string, MandateAgent>();
  /** Action ids this process proposed and is still waiting on: the only ones its runner will send upstream. */
  private readonly awaiting = new Set<string>();
  private readonly sessions = new Set<Server>();
  private executor: MandateExecutor | undefined;
  private directory: AgentDirectory | undefined;
  private upstreams: UpstreamServer[] = [];
  private scopeCheck: NodeJS.Timeout | undefined;

  private constructor(
    private readonly config: GatewayConfig,
    private readonly logger: Logger,
  ) {}

  get executorGroup(): string {
    return `mcp-gateway-${this.config.gateway.gateway_id}`;
  }

  static async start(config: GatewayConfig, logger: Logger): Promise<McpGateway> {
    const gateway = new McpGateway(config, logger);
    try {
      await gateway.open();
    } catch (error) {
      await gateway.stop();
      throw error;
    }
    return gateway;
  }

  private async open(): Promise<void> {
    const { gateway: file, connection } = this.config;
    const deadlines = file.deadlines;
    this.upstreams = file.servers.map(
      (server) =>
        new UpstreamServer(server, deadlines.upstream_connect_seconds * 1000, this.logger, () => this.toolsChanged()),
    );
    // Each connect ends within its own deadline and never throws: a broken server is reported and retried.
    await Promise.all(this.upstreams.map((upstream) => upstream.connect()));

    const kafka = createKafka(connection, `mandate-mcp-gateway-${file.gateway_id}`, this.logger);
    const contracts = await openContracts(connection, connection.topics);
    this.directory = new AgentDirectory(kafka, connection.topics.registry, contracts.registration, this.logger);
    await this.directory.start();
    await this.directory.catchUp(REGISTRY_CATCH_UP_MS);

    // The SDK's warnings and errors go where the gateway's own lines go (its per-action info lines are
    // left out: the gateway logs each outcome itself).
    const sdkLogger = this.logger.child({ component: "sdk" }, { level: "warn" });
    this.executor = await MandateExecutor.start({
      ...connection,
      logger: sdkLogger,
      groupId: this.executorGroup,
      agents: file.clients.map((client) => client.agent_id),
      tools: this.upstreamTools(),
      runDeadlineMs: deadlines.upstream_call_seconds * 1000,
      maxOutputBytes: file.max_result_bytes,
      onOutcome: (outcome) =>
        this.logger.info({ event: "upstream_call_outcome", ...outcome }, `upstream call ${outcome.outcome}`),
    });
    for (const client of file.clients) {
      const agent = await MandateAgent.connect({
        ...connection,
        logger: sdkLogger,
        agentId: client.agent_id,
        sessionTask: client.session_task,
        executorGroup: this.executorGroup,
        signingKey: client.signing_key && {
          keyId: client.signing_key.key_id,
          privateKey: fs.readFileSync(client.signing_key.private_key_file, "utf8"),
        },
      });
      this.agents.set(client.agent_id, agent);
    }
    this.watchScopes();
  }

  /**
   * A registration changed (a tool added to the scope, the agent retired): its tool list did too, so
   * clients are told to list again. The registry is followed in memory; this only compares versions.
   */
  private watchScopes(): void {
    const versionsNow = () =>
      this.config.gateway.clients.map((c) => {
        const registration = this.directory?.get(c.agent_id);
        return `${registration?.version ?? "none"}${registration?.retired ? "-retired" : ""}`;
      });
    let seen = versionsNow().join(",");
    this.scopeCheck = setInterval(() => {
      const now = versionsNow().join(",");
      if (now === seen) return;
      seen = now;
      this.toolsChanged();
    }, SCOPE_CHECK_MS);
    this.scopeCheck.unref();
  }

  /** The upstream servers and whether each is up (for logs and tests). */
  upstreamStates(): Array<{ name: string; up: boolean; problem: string }> {
    return this.upstreams.map((u) => ({ name: u.name, up: u.current.up, problem: u.problem() }));
  }

  /** A new MCP server for one session of `client`; connect it to a transport. */
  serverFor(client: GatewayClient): Server {
    const server = new Server(
      { name: "mandate-mcp-gateway", version: "0.1.0" },
      {
        capabilities: { tools: { listChanged: true } },
        instructions:
          "Every tool call goes through Mandate: it runs only when approved for this agent's purpose and scope. " +
          "A refused call's error says why.",
      },
    );
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: this.toolsFor(client) }));
    // The SDK's Server checks a tools/call against CallToolRequestSchema itself and answers a malformed
    // one with InvalidParams and the reason; registered with that schema, the generic request parsing
    // would fail first and answer InternalError.
    server.setRequestHandler(ANY_TOOLS_CALL, (request, extra) => {
      const { params } = CallToolRequestSchema.parse(request);
      return this.callTool(client, params.name, params.arguments ?? {}, extra.signal);
    });
    server.onclose = () => this.sessions.delete(server);
    this.sessions.add(server);
    return server;
  }

  /** The upstream tools in the client's registered scope, under their gateway names. */
  toolsFor(client: GatewayClient): Tool[] {
    const registration = this.directory?.get(client.agent_id);
    if (!registration || registration.retired) return [];
    const inScope = new Set(registration.scope.tools.map((tool) => tool.name));
    return [...this.catalog()].filter(([name]) => inScope.has(name)).map(([name, { tool }]) => ({ ...tool, name }));
  }

  /**
   * One tools/call: checked here for what needs no decision (size, a tool no server has), then
   * proposed as the client's agent; the answer is the upstream result, or an error saying why not.
   */
  async callTool(
    client: GatewayClient,
    name: string,
    args: Record<string, unknown>,
    cancelled?: AbortSignal,
  ): Promise<CallToolResult> {
    const { max_argument_bytes: maxBytes, deadlines } = this.config.gateway;
    const size = Buffer.byteLength(JSON.stringify(args), "utf8");
    if (size > maxBytes) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `arguments of ${name} are ${size} bytes; this gateway accepts at most ${maxBytes}: nothing was proposed or run`,
      );
    }
    const entry = this.catalog().get(name);
    if (!entry) {
      const down = this.upstreams.find((u) => name.startsWith(`${u.name}${TOOL_SEPARATOR}`) && !u.current.up);
      if (down) {
        return toolError(`The tool ${name} is unavailable: ${down.problem()}. Nothing was proposed or run.`);
      }
      throw new McpError(
        ErrorCode.InvalidParams,
        `unknown tool ${name}: no server behind this gateway lists it (tools/list shows what this client may call)`,
      );
    }
    const agent = this.agents.get(client.agent_id);
    if (!agent) throw new McpError(ErrorCode.InternalError, `the gateway has no agent for ${client.agent_id}`);

    const actionId = crypto.randomUUID();
    this.awaiting.add(actionId);
    const giveUp = () => this.awaiting.delete(actionId);
    cancelled?.addEventListener("abort", giveUp, { once: true });
    const reviewMs = deadlines.review_seconds * 1000;
    try {
      const outcome = await agent.run(
        {
          tool: name,
          // NOTE: the server's own hint; a registration that must not trust it lists the operations
          // each tool may have (`operations: [read]`), which scope enforces whatever the hint says.
          operation: entry.tool.annotations?.readOnlyHint ? "read" : "write",
          arguments: args,
          actionId,
        },
        { timeoutMs: deadlines.call_seconds * 1000, reviewTimeoutMs: reviewMs > 0 ? reviewMs : undefined },
      );
      return this.answer(name, outcome);
    } catch (error) {
      if (error instanceof VerdictTimeoutError) {
        return toolError(`No verdict on the call to ${name} within ${seconds(error.timeoutMs)}; it did not run.`);
      }
      if (error instanceof ReviewTimeoutError) return toolError(reviewTimeoutText(error.decision, name, reviewMs));
      if (error instanceof ResultTimeoutError) {
        return toolError(
          `The call to ${name} was approved but no result came back within ${seconds(error.timeoutMs)}; ` +
            "it may have run. Check before calling it again.",
        );
      }
      throw error;
    } finally {
      giveUp();
      cancelled?.removeEventListener("abort", giveUp);
    }
  }

  private answer(name: string, { decision, result }: RunOutcome): CallToolResult {
    if (decision.verdict !== "approved") return toolError(refusalText(decision, name));
    if (!result) return toolError(`The call to ${name} was approved but returned no result.`);
    if (result.error !== null) return toolError(`The call to ${name} was approved, and failed: ${result.error}`);
    if (result.truncated) {
      const limit = this.config.gateway.max_result_bytes;
      return {
        content: [{ type: "text", text: `${String(result.output)}\n[the result was cut at ${limit} bytes]` }],
      };
    }
    const parsed = CallToolResultSchema.safeParse(result.output);
    if (parsed.success) return parsed.data;
    const text = typeof result.output === "string" ? result.output : JSON.stringify(result.output);
    return { content: [{ type: "text", text }] };
  }

  /** Every tool of every connected server, by its gateway name. */
  private catalog(): Map<string, CatalogEntry> {
    const catalog = new Map<string, CatalogEntry>();
    for (const upstream of this.upstreams) {
      const state = upstream.current;
      if (!state.up) continue;
      for (const tool of state.tools) catalog.set(`${upstream.name}${TOOL_SEPARATOR}${tool.name}`, { upstream, tool });
    }
    return catalog;
  }

  /**
   * The executor's tools: the live catalog. A Proxy, because servers connect, go away and come back
   * after the executor started; the executor looks a tool up by its own property when an approval
   * arrives, so it sees the catalog as it is then.
   */
  private upstreamTools(): Record<string, ToolRunner> {
    const runner: ToolRunner = (action, args, context) => this.runApproved(action, args, context);
    return new Proxy({} as Record<string, ToolRunner>, {
      getOwnPropertyDescriptor: (_target, name) =>
        typeof name === "string" && this.catalog().has(name)
          ? { value: runner, writable: false, enumerable: true, configurable: true }
          : undefined,
      get: (_target, name) => (typeof name === "string" && this.catalog().has(name) ? runner : undefined),
      has: (_target, name) => typeof name === "string" && this.catalog().has(name),
      ownKeys: () => [...this.catalog().keys()],
    });
  }

  /** Runs only from the executor, for a verified approval; sends the call upstream only while its client waits. */
  private async runApproved(action: ProposedAction, args: unknown, { signal, deadline }: ToolRunContext) {
    if (!this.awaiting.has(action.action_id)) {
      throw new Error("the gateway is no longer waiting for this call (its client gave up); it was not sent upstream");
    }
    const entry = this.catalog().get(action.tool);
    if (!entry) throw new Error(`no server behind the gateway lists ${action.tool} now; it was not sent upstream`);
    const result = await entry.upstream.callTool(entry.tool.name, (args ?? {}) as Record<string, unknown>, {
      signal,
      // A little before the executor's deadline, so the client reads the upstream's own timeout.
      timeoutMs: deadline - Date.now() - 250,
    });
    return boundedResult(result, this.config.gateway.max_result_bytes);
  }

  private toolsChanged(): void {
    for (const server of this.sessions) void server.sendToolListChanged().catch(() => undefined);
  }

  /**
   * In reverse: the sessions (no new calls), the agents, the executor (finishing a run in flight), the
   * registry and the servers. Each step's parts stop together: a Kafka consumer may take its fetch wait
   * to leave, and those waits need not add up.
   */
  async stop(): Promise<void> {
    clearInterval(this.scopeCheck);
    await Promise.all([...this.sessions].map((server) => server.close().catch(() => undefined)));
    await Promise.all([...this.agents.values()].map((agent) => agent.close().catch(() => undefined)));
    const stopExecutorThenServers = async () => {
      await this.executor?.stop();
      await Promise.all(this.upstreams.map((upstream) => upstream.stop()));
    };
    await Promise.all([stopExecutorThenServers(), this.directory?.stop()]);
  }
}

function toolError(text: string): CallToolResult {
  return { content: [{ type: "text", text }], isError: true };
}

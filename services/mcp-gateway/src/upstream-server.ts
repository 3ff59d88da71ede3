import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ToolListChangedNotificationSchema, type CallToolResult, type Tool } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "@mandate/common/logger";
import type { UpstreamConfig } from "./gateway-config.js";

/** The last of an upstream process's stderr kept to explain why it stopped. */
const STDERR_TAIL_BYTES = 2048;
/** Reconnection backoff after a server went away: doubles from the first to the last. */
const RECONNECT_FIRST_MS = 5_000;
const RECONNECT_MAX_MS = 300_000;
/** More pages than this from tools/list means a server that never stops paging. */
const MAX_TOOL_PAGES = 50;

export type UpstreamState = { up: true; tools: readonly Tool[] } | { up: false; problem: string };

/** The server is not connected: the call was not sent. */
export class UpstreamUnavailableError extends Error {}

/**
 * One real MCP server behind the gateway, through the SDK's Client: connected and its tools listed
 * within the connect deadline, or marked down with the reason. A server that exits or breaks is marked
 * down, reported, and reconnected with backoff; the gateway keeps serving the others meanwhile.
 */
export class UpstreamServer {
  private client: Client | undefined;
  /** A connection attempt in flight: closed on stop, so a server that hangs cannot hold the process up. */
  private connecting: Client | undefined;
  private state: UpstreamState = { up: false, problem: "not connected yet" };
  private stderrTail = "";
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelayMs = RECONNECT_FIRST_MS;
  private stopped = false;

  constructor(
    readonly config: UpstreamConfig,
    private readonly connectTimeoutMs: number,
    private readonly logger: Logger,
    /** Told whenever the server's tools appear or go away, so clients can be told the list changed. */
    private readonly onToolsChanged: () => void,
  ) {}

  get name(): string {
    return this.config.name;
  }

  get current(): UpstreamState {
    return this.state;
  }

  /** Connects and lists the tools; never throws: a failure marks the server down and schedules a retry. */
  async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ name: "mandate-mcp-gateway", version: "0.1.0" });
    const transport = this.transport();
    let closedBeforeUp = false;
    client.onclose = () => {
      if (this.client !== client) {
        closedBeforeUp = true;
        return;
      }
      this.markDown(`the connection closed${this.exitDetail()}`);
    };
    // Errors on the stream (a line that is not JSON-RPC) are the server's problem, reported, not fatal.
    client.onerror = (error) =>
      this.logger.warn({ event: "upstream_error", server: this.name, err: error.message }, "upstream server error");
    this.connecting = client;
    try {
      await client.connect(transport, { timeout: this.connectTimeoutMs });
      const tools = await this.listTools(client);
      if (closedBeforeUp) throw new Error(`the connection closed${this.exitDetail()}`);
      this.client = client;
      this.state = { up: true, tools };
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => this.relist(client));
      this.reconnectDelayMs = RECONNECT_FIRST_MS;
      this.logger.info({ event: "upstream_connected", server: this.name, tools: tools.length }, "upstream connected");
      this.onToolsChanged();
    } catch (error) {
      await client.close().catch(() => undefined);
      this.markDown(`could not connect within ${this.connectTimeoutMs} ms: ${(error as Error).message}`);
    } finally {
      if (this.connecting === client) this.connecting = undefined;
    }
  }

  /**
   * Calls one tool on the real server. Only the gateway's executor calls this, for a verified approval.
   * Throws UpstreamUnavailableError when the server is down (nothing was sent), and the SDK's error
   * (a timeout, a closed connection) when the call itself failed.
   */
  async callTool(
    tool: string,
    args: Record<string, unknown>,
    { signal, timeoutMs }: { signal: AbortSignal; timeoutMs: number },
  ): Promise<CallToolResult> {
    const client = this.client;
    if (!client || !this.state.up) {
      throw new UpstreamUnavailableError(`upstream server ${this.name} is unavailable: ${this.problem()}`);
    }
    const result = await client.callTool({ name: tool, arguments: args }, undefined, {
      signal,
      timeout: Math.max(1, timeoutMs),
    });
    return result as CallToolResult;
  }

  problem(): string {
    return this.state.up ? "" : this.state.problem;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const clients = [this.client, this.connecting];
    this.client = undefined;
    this.connecting = undefined;
    await Promise.all(clients.map((client) => client?.close().catch(() => undefined)));
  }

  /** The server said its tools changed: list them again; a server that cannot is reported like any failure. */
  private async relist(client: Client): Promise<void> {
    try {
      const tools = await this.listTools(client);
      if (this.client !== client) return;
      this.state = { up: true, tools };
      this.onToolsChanged();
    } catch (error) {
      if (this.client !== client) return;
      this.markDown(`could not list its tools again: ${(error as Error).message}`);
      await client.close().catch(() => undefined);
    }
  }

  private async listTools(client: Client): Promise<Tool[]> {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_TOOL_PAGES; page++) {
      const listed = await client.listTools(cursor ? { cursor } : undefined, { timeout: this.connectTimeoutMs });
      tools.push(...listed.tools);
      cursor = listed.nextCursor;
      if (!cursor) return tools;
    }
    throw new Error(`tools/list still paging after ${MAX_TOOL_PAGES} pages`);
  }

  private transport(): Transport {
    if ("url" in this.config) {
      return new StreamableHTTPClientTransport(new URL(this.config.url), {
        requestInit: { headers: this.config.headers },
      });
    }
    this.stderrTail = "";
    const transport = new StdioClientTransport({
      command: this.config.command,
      args: this.config.args,
      env: { ...getDefaultEnvironment(), ...this.config.env },
      cwd: this.config.cwd,
      stderr: "pipe",
    });
    transport.stderr?.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL_BYTES);
    });
    return transport;
  }

  private exitDetail(): string {
    const tail = this.stderrTail.trim().split("\n").at(-1);
    return tail ? ` (its last words: ${tail.slice(0, 300)})` : "";
  }

  private markDown(problem: string): void {
    const wasUp = this.state.up;
    this.client = undefined;
    this.state = { up: false, problem };
    if (this.stopped) return;
    this.logger.warn(
      { event: "upstream_down", server: this.name, problem, retryInMs: this.reconnectDelayMs },
      "upstream server unavailable",
    );
    if (wasUp) this.onToolsChanged();
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.connect(), this.reconnectDelayMs);
    this.reconnectTimer.unref();
    this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, RECONNECT_MAX_MS);
  }
}

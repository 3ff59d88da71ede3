import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { ErrorCode, isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "@mandate/common/logger";
import type { GatewayClient, GatewayFile } from "./gateway-config.js";
import type { McpGateway } from "./mcp-gateway.js";

/** Room for the JSON-RPC envelope around arguments at the gateway's limit, which the call handler refuses in words. */
const ENVELOPE_BYTES = 64 * 1024;
/** Sessions open at once, over every client: an initialize past it is refused (503) until one ends. */
const MAX_SESSIONS = 1_000;
/** A session unused this long is closed: clients that vanish without DELETE must not hold one forever. */
const SESSION_IDLE_MS = 30 * 60_000;

interface HttpSession {
  client: GatewayClient;
  transport: StreamableHTTPServerTransport;
  lastUsed: number;
}

/**
 * The gateway over Streamable HTTP: each request's bearer token says which client it is (its SHA-256
 * is in the gateway's config); each MCP session has its own transport and server, bound to the client
 * that opened it. Bodies are read here with a bound, so an oversized or malformed message is answered
 * with a JSON-RPC error and never reaches the MCP layer.
 */
export class GatewayHttp {
  private readonly sessions = new Map<string, HttpSession>();
  private readonly server: http.Server;
  private readonly clientsByToken: Map<string, GatewayClient>;
  private readonly maxBodyBytes: number;
  private readonly idleSweep: NodeJS.Timeout;

  constructor(
    private readonly gateway: McpGateway,
    private readonly file: GatewayFile,
    private readonly logger: Logger,
  ) {
    this.clientsByToken = new Map(file.clients.map((client) => [client.token_sha256 ?? "", client]));
    this.maxBodyBytes = file.max_argument_bytes * 2 + ENVELOPE_BYTES;
    this.idleSweep = setInterval(() => this.closeIdleSessions(), 60_000);
    this.idleSweep.unref();
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.logger.error({ event: "gateway_request_failed", err: error }, "request failed");
        if (!res.headersSent) reply(res, 500, ErrorCode.InternalError, "the gateway failed on this request");
        else res.end();
      });
    });
  }

  /** Listens; resolves with the port (useful when the config says 0). */
  async start(): Promise<number> {
    const { host, port } = this.file.listen;
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    clearInterval(this.idleSweep);
    for (const session of this.sessions.values()) await session.transport.close().catch(() => undefined);
    this.sessions.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://gateway");
    if (url.pathname !== this.file.listen.path) {
      return reply(res, 404, ErrorCode.InvalidRequest, `no MCP endpoint here; it is ${this.file.listen.path}`);
    }
    const client = this.clientOf(req);
    if (!client) {
      res.setHeader("www-authenticate", 'Bearer realm="mandate-mcp-gateway"');
      return reply(res, 401, ErrorCode.InvalidRequest, "a bearer token the gateway knows is needed");
    }
    let body: unknown;
    if (req.method === "POST") {
      const read = await readBody(req, this.maxBodyBytes);
      if (read.tooLarge) {
        return reply(res, 413, ErrorCode.InvalidRequest, `the message is over ${this.maxBodyBytes} bytes`);
      }
      try {
        body = JSON.parse(read.text);
      } catch (error) {
        return reply(res, 400, ErrorCode.ParseError, `the message is not JSON: ${(error as Error).message}`);
      }
    }
    const sessionId = req.headers["mcp-session-id"];
    if (typeof sessionId === "string") {
      const session = this.sessions.get(sessionId);
      if (!session) return reply(res, 404, ErrorCode.InvalidRequest, "no such session: initialize a new one");
      if (session.client !== client)
        return reply(res, 403, ErrorCode.InvalidRequest, "the session is another client's");
      session.lastUsed = Date.now();
      return session.transport.handleRequest(req, res, body);
    }
    if (req.method !== "POST" || !isInitializeRequest(body)) {
      return reply(res, 400, ErrorCode.InvalidRequest, "no mcp-session-id: send an initialize request first");
    }
    if (this.sessions.size >= MAX_SESSIONS) {
      return reply(res, 503, ErrorCode.InternalError, `${MAX_SESSIONS} sessions are open: close one, or try later`);
    }
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      onsessioninitialized: (id) => {
        this.sessions.set(id, { client, transport, lastUsed: Date.now() });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) this.sessions.delete(transport.sessionId);
    };
    await this.gateway.serverFor(client).connect(transport);
    await transport.handleRequest(req, res, body);
  }

  private closeIdleSessions(): void {
    const idleSince = Date.now() - SESSION_IDLE_MS;
    for (const [id, session] of this.sessions) {
      if (session.lastUsed >= idleSince) continue;
      this.sessions.delete(id);
      this.logger.info({ event: "session_expired", agent: session.client.agent_id }, "idle MCP session closed");
      void session.transport.close().catch(() => undefined);
    }
  }

  private clientOf(req: http.IncomingMessage): GatewayClient | undefined {
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    if (!match) return undefined;
    return this.clientsByToken.get(crypto.createHash("sha256").update(match[1]!).digest("hex"));
  }
}

/** Reads the body up to `limit` bytes; past it the rest is drained and dropped. */
async function readBody(req: http.IncomingMessage, limit: number): Promise<{ text: string; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  return { text: Buffer.concat(chunks).toString("utf8"), tooLarge: size > limit };
}

function reply(res: http.ServerResponse, status: number, code: ErrorCode, message: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code, message } }));
}

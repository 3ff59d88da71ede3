import { Writable } from "node:stream";
import { pino } from "pino";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { ErrorCode, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { createLogger } from "@mandate/common/logger";
import { maskSecrets } from "@mandate/common/run-service";
import { loadGatewayConfig, type GatewayConfig } from "@mandate/mcp-gateway/gateway-config";
import { GatewayHttp } from "@mandate/mcp-gateway/gateway-http";
import { McpGateway } from "@mandate/mcp-gateway/mcp-gateway";
import { parseFlags } from "./cli-flags.js";
import { UsageError } from "./usage-error.js";

const USAGE = `usage: mandate mcp-gateway --config <gateway.yaml> [--check-config]

An MCP server in front of real MCP servers (stdio or Streamable HTTP): every tools/call becomes a
signed proposal of the client's registered agent, and runs on the real server only once approved.
tools/list shows each client only the tools in its registration's scope, named <server>__<tool>.
A rejected call, or a flagged one nobody approved in time, is an MCP tool error saying why.

--config        the gateway file (YAML or JSON): gateway_id, listen (stdio | http), clients (agent_id,
                signing_key, token_sha256 over http), servers (command/args or url), deadlines,
                max_argument_bytes, max_result_bytes. See README: Put an MCP server behind Mandate.
--check-config  validate it, print it (secrets masked) and exit: 0 valid, 1 with every problem.

Over stdio the MCP messages use stdin and stdout and the logs go to stderr; over http it listens on
listen.host:listen.port at listen.path. SIGTERM or SIGINT (or, over stdio, the client closing stdin)
stops it: the sessions, then the agents, the executor and the upstream servers.

Kafka and the registry: MANDATE_KAFKA_BROKERS, MANDATE_SCHEMA_REGISTRY_URL (and the variables of a
secured cluster, as for every command); MANDATE_LOG_LEVEL (default info).`;

/** `mandate mcp-gateway --config gateway.yaml`: runs until SIGTERM, SIGINT or (stdio) the client leaves. */
export async function mcpGatewayCommand(args: string[]): Promise<void> {
  const flags = parseFlags(args, { config: "value", "check-config": "switch" }, USAGE);
  const file = flags.value("config");
  if (file === undefined) throw new UsageError(`mcp-gateway needs --config <gateway.yaml>\n\n${USAGE}`);
  if (flags.positional.length > 0) throw new UsageError(`unexpected ${flags.positional.join(" ")}\n\n${USAGE}`);
  const config = loadGatewayConfig(file);
  if (flags.has("check-config")) {
    process.stdout.write(`mcp-gateway: configuration is valid\n${JSON.stringify(printable(config), null, 2)}\n`);
    return;
  }
  const stdio = config.gateway.listen.transport === "stdio";
  // Over stdio, stdout carries MCP messages only: anything else that writes to it (the SDK's loggers,
  // the Kafka client) goes to stderr instead, and the transport alone keeps the real stdout.
  const mcpOut = stdio ? takeStdout() : undefined;
  const logger = createLogger("mcp-gateway", config.connection.logLevel, pino.destination(2));
  const gateway = await McpGateway.start(config, logger);

  let stopFront: () => Promise<void>;
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => (stopped = resolve));
  let stopping = false;
  const shutdown = async (why: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: "service_stopping", signal: why }, "mcp-gateway stopping");
    try {
      await stopFront();
      await gateway.stop();
      logger.info({ event: "service_stopped" }, "mcp-gateway stopped");
    } catch (error) {
      logger.error({ event: "service_stop_failed", err: error }, "mcp-gateway did not stop cleanly");
      process.exitCode = 1;
    }
    stopped();
  };

  if (stdio) {
    const transport = new StdioServerTransport(process.stdin, mcpOut);
    // A line that is not JSON, or not JSON-RPC, gets an error back without an id (it has none to
    // answer: the schema makes the id optional for this), and the next line is read.
    transport.onerror = (error) => {
      const unreadable = error instanceof SyntaxError || error.name === "ZodError";
      logger.warn({ event: "malformed_message", err: error.message }, "malformed MCP message");
      if (!unreadable) return;
      const code = error instanceof SyntaxError ? ErrorCode.ParseError : ErrorCode.InvalidRequest;
      const reply: JSONRPCMessage = { jsonrpc: "2.0", error: { code, message: `malformed message: ${error.message}` } };
      void transport.send(reply).catch(() => undefined);
    };
    stopFront = () => transport.close();
    await gateway.serverFor(config.gateway.clients[0]!).connect(transport);
    process.stdin.once("end", () => void shutdown("stdin_closed"));
    logger.info({ event: "gateway_listening", transport: "stdio" }, "mcp-gateway serving on stdio");
  } else {
    const front = new GatewayHttp(gateway, config.gateway, logger);
    const port = await front.start();
    stopFront = () => front.stop();
    const { host, path } = config.gateway.listen;
    logger.info({ event: "gateway_listening", transport: "http", host, port, path }, "mcp-gateway listening");
  }
  logger.info({ event: "gateway_upstreams", upstreams: gateway.upstreamStates() }, "upstream servers");
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
  await done;
  // Stopped: whatever a library left scheduled (a retry timer, a socket's linger) must not keep the process.
  process.exit();
}

/**
 * The configuration as --check-config prints it: secrets masked by name as every service does, and
 * every upstream header and environment value masked whatever its name (`x-api-key`, `GH_PAT`).
 */
function printable(config: GatewayConfig): unknown {
  const masked = (values: Record<string, string>) =>
    Object.fromEntries(Object.keys(values).map((k) => [k, "[redacted]"]));
  const servers = config.gateway.servers.map((server) =>
    "url" in server ? { ...server, headers: masked(server.headers) } : { ...server, env: masked(server.env) },
  );
  return maskSecrets({ ...config, gateway: { ...config.gateway, servers } });
}

/** The real stdout, for the MCP transport; `process.stdout.write` goes to stderr from now on. */
function takeStdout(): Writable {
  const write = process.stdout.write.bind(process.stdout) as (chunk: unknown, callback: () => void) => boolean;
  // NOTE: pino writes to process.stdout itself (not straight to fd 1) once `write` is replaced, so
  // the SDK's and kafkajs' loggers follow this redirection too.
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  return new Writable({ write: (chunk, _encoding, callback) => void write(chunk, () => callback()) });
}

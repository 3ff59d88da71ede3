import fs from "node:fs";
import { parseDocument } from "yaml";
import { z } from "zod";
import { ConfigError } from "@mandate/contracts";
import {
  connectionConfigSchema,
  connectionSettingsFromEnv,
  parseConfig,
  type topicNamesSchema,
} from "@mandate/common/service-config";

/** Names that become part of tool names and group ids: no separators, no spaces. */
const plainName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/, "letters, digits and dashes, at most 64 (no underscores or dots)");

const existingFile = z
  .string()
  .min(1)
  .refine((file) => fs.existsSync(file), "no such file");

const upstreamCommon = {
  /** Prefixes the server's tool names (`files__read_text_file`) and names it in every message. */
  name: plainName,
};

/** A server the gateway starts as a child process and speaks to over its stdin and stdout. */
const stdioUpstreamSchema = z
  .object({
    ...upstreamCommon,
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    /** Added to a minimal inherited environment (PATH, HOME, …): never the gateway's own secrets. */
    env: z.record(z.string(), z.string()).default({}),
    cwd: z.string().min(1).optional(),
  })
  .strict();

/** A server already running, reached over Streamable HTTP. */
const httpUpstreamSchema = z
  .object({
    ...upstreamCommon,
    url: z.string().url(),
    /** Sent with every request (an API key the server expects); only the gateway holds them. */
    headers: z.record(z.string(), z.string()).default({}),
  })
  .strict();

const clientSchema = z
  .object({
    /** The registration this client proposes as: its scope filters the tools the client sees. */
    agent_id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "letters, digits, dot, dash, underscore"),
    /** One of the registration's keys; without it actions go unsigned (development-mode registrations only). */
    signing_key: z
      .object({ key_id: z.string().min(1), private_key_file: existingFile })
      .strict()
      .optional(),
    /** Over HTTP: the SHA-256 (hex) of the bearer token that identifies this client. */
    token_sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, "64 lowercase hex characters: sha256 of the token")
      .optional(),
    /** What this client's sessions are for, checked for purpose alignment like an SDK agent's session task. */
    session_task: z.string().min(1).optional(),
  })
  .strict();

export const gatewayFileSchema = z
  .object({
    /** Names the executor group (`mcp-gateway-<id>`) that runs this gateway's approved calls. Run one process per id. */
    gateway_id: plainName,
    listen: z
      .object({
        transport: z.enum(["stdio", "http"]),
        host: z.string().min(1).default("127.0.0.1"),
        /** 0 picks a free port (printed on stderr as `gateway_listening`). */
        port: z.number().int().min(0).max(65535).default(8090),
        path: z.string().startsWith("/").default("/mcp"),
      })
      .strict(),
    clients: z.array(clientSchema).min(1, "at least one client: the registration calls are proposed as"),
    servers: z.array(z.union([stdioUpstreamSchema, httpUpstreamSchema])).min(1, "at least one upstream server"),
    deadlines: z
      .object({
        /** One tools/call, verdict and upstream result together (not counting a review). */
        call_seconds: z.number().positive().max(600).default(30),
        /** How long a flagged call waits for a reviewer; 0 answers at once that it was held for review. */
        review_seconds: z.number().min(0).max(3600).default(0),
        /** One upstream tools/call; past it the call is abandoned and the client told so. */
        upstream_call_seconds: z.number().positive().max(600).default(20),
        /** Connecting to an upstream server and listing its tools. */
        upstream_connect_seconds: z.number().positive().max(300).default(10),
      })
      .strict()
      .default({ call_seconds: 30, review_seconds: 0, upstream_call_seconds: 20, upstream_connect_seconds: 10 }),
    /** A tools/call's arguments, as JSON, in UTF-8 bytes; larger calls are refused before anything is proposed. */
    max_argument_bytes: z
      .number()
      .int()
      .min(256)
      .max(1024 * 1024)
      .default(64 * 1024),
    /** An upstream result returned to the client (and reported to the validator); the rest is cut. */
    max_result_bytes: z
      .number()
      .int()
      .min(1024)
      .max(200 * 1024)
      .default(64 * 1024),
  })
  .strict()
  .superRefine((file, ctx) => {
    const problem = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
    if (file.deadlines.call_seconds <= file.deadlines.upstream_call_seconds) {
      problem(["deadlines", "call_seconds"], "must be longer than upstream_call_seconds, or no result comes back");
    }
    const names = file.servers.map((s) => s.name);
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i) problem(["servers", i, "name"], `server ${name} is listed twice`);
    });
    const agents = file.clients.map((c) => c.agent_id);
    agents.forEach((agent, i) => {
      if (agents.indexOf(agent) !== i) problem(["clients", i, "agent_id"], `client ${agent} is listed twice`);
    });
    if (file.listen.transport === "stdio" && file.clients.length !== 1) {
      problem(["clients"], "over stdio the gateway has one client: list exactly one");
    }
    if (file.listen.transport === "http") {
      file.clients.forEach((client, i) => {
        if (client.token_sha256 === undefined) {
          problem(["clients", i, "token_sha256"], "over http every client needs the sha256 of its bearer token");
        }
      });
      const tokens = file.clients.map((c) => c.token_sha256);
      tokens.forEach((token, i) => {
        if (token !== undefined && tokens.indexOf(token) !== i) {
          problem(["clients", i, "token_sha256"], "two clients share a token: a token must say who the client is");
        }
      });
    }
  });

export type GatewayFile = z.infer<typeof gatewayFileSchema>;
export type GatewayClient = GatewayFile["clients"][number];
export type UpstreamConfig = GatewayFile["servers"][number];
export type StdioUpstreamConfig = z.infer<typeof stdioUpstreamSchema>;

/** The gateway's file plus where Kafka and the registry are (the services' environment variables). */
export interface GatewayConfig {
  gateway: GatewayFile;
  connection: z.infer<typeof connectionConfigSchema> & { topics: z.infer<typeof topicNamesSchema> };
}

/** Parses `gateway.yaml` (or JSON) once, every problem reported together with its line where the file says it. */
export function parseGatewayFile(text: string, source: string): GatewayFile {
  const document = parseDocument(text, { prettyErrors: false });
  if (document.errors.length > 0) {
    throw new ConfigError(`${source}: not YAML\n${document.errors.map((e) => `  - ${e.message}`).join("\n")}`);
  }
  const parsed = gatewayFileSchema.safeParse(document.toJS());
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const node = document.getIn(issue.path as (string | number)[], true) as { range?: [number, number] } | undefined;
    const where = node?.range ? ` (line ${lineOf(text, node.range[0])})` : "";
    return `  - ${issue.path.join(".") || "(root)"}${where}: ${issue.message}`;
  });
  throw new ConfigError(`${source}: invalid gateway configuration\n${problems.join("\n")}`);
}

export function loadGatewayConfig(file: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(`${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return {
    gateway: parseGatewayFile(text, file),
    connection: parseConfig("mcp-gateway", connectionConfigSchema, connectionSettingsFromEnv(env)),
  };
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split("\n").length;
}

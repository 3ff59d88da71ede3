import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CallToolResultSchema,
  ErrorCode,
  McpError,
  ToolListChangedNotificationSchema,
  type CallToolResult,
} from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { freePort } from "../../infra/src/free-port.js";
import { startPipeline, type RunningPipeline } from "../../infra/src/pipeline.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import { topicsToEnv } from "@mandate/common/service-config";
import { isolatedTopics } from "@mandate/contracts";
import { GovernancePublisher } from "@mandate/sdk";
import { agentKey } from "../support/agent-keys.js";
import { testRegistration } from "../support/registrations.js";
import { isolatedDatabase, sharedStack } from "../support/shared-stack.js";

const repo = path.resolve(import.meta.dirname, "../..");
const cli = path.join(repo, "services/cli/bin/mandate.mjs");
const notesServer = path.join(repo, "test/fixtures/mcp/notes-server.ts");
const filesystemServer = path.join(repo, "node_modules/.bin/mcp-server-filesystem");

/**
 * The gateway as an MCP client meets it: `mandate mcp-gateway` started as a process (over stdio, and
 * over Streamable HTTP), the SDK's real Client in front, real MCP servers behind it (the test's notes
 * server over stdio and over HTTP, the published filesystem server over stdio), and the real pipeline
 * deciding every call.
 */
const sha256 = (token: string) => crypto.createHash("sha256").update(token).digest("hex");

describe("MCP gateway", () => {
  const stack = sharedStack("server");
  const topics = isolatedTopics("mcpgw");
  const database = isolatedDatabase("mcpgw");
  const connection = { kafkaBrokers: stack.kafkaBrokers, schemaRegistryUrl: stack.schemaRegistryUrl, topics };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mandate-mcp-gateway-test-"));
  const callLog = path.join(dir, "upstream-calls.jsonl");
  const filesDir = path.join(dir, "files");
  const key = agentKey("mcp-stdio-bot-2026");
  const httpToken = crypto.randomBytes(24).toString("base64url");
  const reviewerToken = crypto.randomBytes(24).toString("base64url");
  /** What the stdio client's transport reported: a line on the gateway's stdout that is not MCP would land here. */
  const stdioClientErrors: Error[] = [];
  const gatewayEnv = {
    ...getDefaultEnvironment(),
    MANDATE_KAFKA_BROKERS: stack.kafkaBrokers.join(","),
    MANDATE_SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
    MANDATE_LOG_LEVEL: "info",
    ...topicsToEnv(topics),
  };
  let pipeline: RunningPipeline;
  let webServer: ChildProcess;
  let httpGateway: ChildProcess;
  let httpUrl: string;
  let stdioClient: Client;
  let stdioTransport: StdioClientTransport;
  let httpClient: Client;
  let stdioGatewayLog = "";
  let httpGatewayLog = "";

  const notes = (label: string) => ({
    command: process.execPath,
    args: ["--import", "@mandate/common/loader", notesServer],
    cwd: repo,
    env: { NOTES_LABEL: label, NOTES_CALL_LOG: callLog },
  });
  const upstreamCalls = (): Array<{ server: string; tool: string; args: Record<string, unknown> }> =>
    fs.existsSync(callLog)
      ? fs
          .readFileSync(callLog, "utf8")
          .trim()
          .split("\n")
          .filter(Boolean)
          .map((line) => JSON.parse(line) as { server: string; tool: string; args: Record<string, unknown> })
      : [];
  const malformedReplies = () => stdioClientErrors.filter((e) => e.message.includes("malformed message"));
  const text = (result: unknown) =>
    CallToolResultSchema.parse(result)
      .content.map((c) => (c.type === "text" ? c.text : ""))
      .join("\n");

  beforeAll(async () => {
    fs.mkdirSync(filesDir);
    fs.writeFileSync(path.join(filesDir, "hello.txt"), "Order A-1 left the warehouse on Monday.\n");
    const tokensFile = path.join(dir, "reviewers.yaml");
    fs.writeFileSync(tokensFile, `- name: alice\n  role: reviewer\n  token_sha256: ${sha256(reviewerToken)}\n`);
    pipeline = await startPipeline(stack, {
      topics,
      database,
      logLevel: "silent",
      review: { tokensFile, deadlineCheckIntervalMs: 200 },
    });
    const publisher = await GovernancePublisher.connect(connection);
    await publisher.publish({
      ...testRegistration("mcp-stdio-bot", [
        "notes__lookup_note",
        "notes__send_message",
        "notes__wait_forever",
        "web__lookup_note",
        "files__read_text_file",
        "files__list_directory",
        "flaky__exit_now",
        "flaky__lookup_note",
        "broken__lookup_note",
      ]),
      keys: [key.registered],
    });
    await publisher.publish(testRegistration("mcp-http-bot", ["notes__lookup_note", "web__lookup_note"]));
    await publisher.close();
    await waitUntil(
      "registrations to reach the validator",
      async () =>
        pipeline.validators[0]?.registrationVersion("mcp-stdio-bot") === 1 &&
        pipeline.validators[0]?.registrationVersion("mcp-http-bot") === 1,
    );

    webServer = spawn(process.execPath, ["--import", "@mandate/common/loader", notesServer, "--http"], {
      cwd: repo,
      env: { ...process.env, NOTES_LABEL: "web", NOTES_CALL_LOG: callLog },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const webPort = await new Promise<number>((resolve, reject) => {
      webServer.stdout!.on("data", (chunk: Buffer) => {
        const port = /listening (\d+)/.exec(chunk.toString())?.[1];
        if (port) resolve(Number(port));
      });
      webServer.once("exit", (code) => reject(new Error(`the web notes server exited (${code})`)));
    });

    const keyFile = path.join(dir, "mcp-stdio-bot.pem");
    fs.writeFileSync(
      keyFile,
      (key.signingKey.privateKey as crypto.KeyObject).export({ type: "pkcs8", format: "pem" }),
      { mode: 0o600 },
    );
    const stdioConfig = path.join(dir, "gateway-stdio.yaml");
    fs.writeFileSync(
      stdioConfig,
      stringify({
        gateway_id: `stdio-${database.replace(/_/g, "-")}`,
        listen: { transport: "stdio" },
        clients: [
          {
            agent_id: "mcp-stdio-bot",
            signing_key: { key_id: key.registered.key_id, private_key_file: keyFile },
            session_task: `Answer the customer's questions about order A-1 from our notes and ${filesDir}/hello.txt.`,
          },
        ],
        servers: [
          { name: "notes", ...notes("notes") },
          { name: "web", url: `http://127.0.0.1:${webPort}/mcp` },
          { name: "files", command: filesystemServer, args: [filesDir] },
          { name: "flaky", ...notes("flaky") },
          { name: "broken", command: process.execPath, args: ["-e", "console.error('no licence'); process.exit(1)"] },
        ],
        deadlines: { call_seconds: 20, review_seconds: 6, upstream_call_seconds: 3, upstream_connect_seconds: 20 },
        max_argument_bytes: 4096,
        max_result_bytes: 2048,
      }),
    );
    stdioTransport = new StdioClientTransport({
      command: process.execPath,
      args: [cli, "mcp-gateway", "--config", stdioConfig],
      cwd: repo,
      env: gatewayEnv,
      stderr: "pipe",
    });
    stdioTransport.stderr?.on("data", (chunk: Buffer) => (stdioGatewayLog += chunk.toString()));
    stdioClient = new Client({ name: "gateway-test-stdio", version: "1.0.0" });
    stdioClient.onerror = (error) => stdioClientErrors.push(error);
    // The gateway answers initialize once it has connected its upstreams, the registry and Kafka.
    await stdioClient.connect(stdioTransport, { timeout: 120_000 });

    const httpPort = await freePort();
    httpUrl = `http://127.0.0.1:${httpPort}/mcp`;
    const httpConfig = path.join(dir, "gateway-http.yaml");
    fs.writeFileSync(
      httpConfig,
      stringify({
        gateway_id: `http-${database.replace(/_/g, "-")}`,
        listen: { transport: "http", host: "127.0.0.1", port: httpPort },
        clients: [{ agent_id: "mcp-http-bot", token_sha256: sha256(httpToken) }],
        servers: [
          { name: "notes", ...notes("http-notes") },
          { name: "web", url: `http://127.0.0.1:${webPort}/mcp` },
          // Starts and never answers initialize: a server that hangs.
          { name: "stuck", command: process.execPath, args: ["-e", "setInterval(() => {}, 1000)"] },
        ],
        deadlines: { upstream_connect_seconds: 10 },
        max_argument_bytes: 4096,
      }),
    );
    httpGateway = spawn(process.execPath, [cli, "mcp-gateway", "--config", httpConfig], {
      cwd: repo,
      env: gatewayEnv,
      stdio: ["ignore", "inherit", "pipe"],
    });
    httpGateway.stderr!.on("data", (chunk: Buffer) => (httpGatewayLog += chunk.toString()));
    await waitUntil("the HTTP gateway to listen", async () => httpGatewayLog.includes('"gateway_listening"'), {
      timeoutMs: 120_000,
    });
    httpClient = new Client({ name: "gateway-test-http", version: "1.0.0" });
    await httpClient.connect(
      new StreamableHTTPClientTransport(new URL(httpUrl), {
        requestInit: { headers: { authorization: `Bearer ${httpToken}` } },
      }),
    );
  });

  afterAll(async () => {
    await stdioClient?.close();
    await httpClient?.close();
    httpGateway?.kill("SIGKILL");
    webServer?.kill("SIGTERM");
    await pipeline?.stop();
    stack.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("lists each client only the tools in its registered scope, from every server that is up", async () => {
    const stdioTools = (await stdioClient.listTools()).tools.map((t) => t.name).sort();
    expect(stdioTools).toEqual(
      expect.arrayContaining([
        "notes__lookup_note",
        "notes__send_message",
        "web__lookup_note",
        "files__read_text_file",
        "files__list_directory",
      ]),
    );
    expect(stdioTools).not.toContain("notes__delete_all_notes");
    expect(stdioTools.filter((name) => name.startsWith("broken__"))).toEqual([]);
    const httpTools = (await httpClient.listTools()).tools.map((t) => t.name).sort();
    expect(httpTools).toEqual(["notes__lookup_note", "web__lookup_note"]);
    const lookup = (await httpClient.listTools()).tools.find((t) => t.name === "web__lookup_note");
    expect(lookup?.inputSchema.properties).toHaveProperty("id");
  });

  it("an approved call returns the upstream result: stdio, HTTP and the filesystem server", async () => {
    const fromNotes = await stdioClient.callTool({ name: "notes__lookup_note", arguments: { id: "A-1" } });
    expect(fromNotes.isError ?? false, text(fromNotes)).toBe(false);
    expect(text(fromNotes)).toBe("note A-1 from notes: order A-1 shipped");
    expect(fromNotes.structuredContent).toEqual({ id: "A-1", server: "notes" });

    const fromWeb = await httpClient.callTool({ name: "web__lookup_note", arguments: { id: "A-1" } });
    expect(text(fromWeb)).toBe("note A-1 from web: order A-1 shipped");

    // A result over max_result_bytes is cut, and the text says so.
    const long = text(await stdioClient.callTool({ name: "notes__lookup_note", arguments: { id: "long" } }));
    expect(long).toMatch(/^long note\. [a-z. ]+\n\[the result was cut at 2048 bytes\]$/);
    expect(long.length).toBeGreaterThan(1500);

    const file = await stdioClient.callTool({
      name: "files__read_text_file",
      arguments: { path: path.join(filesDir, "hello.txt") },
    });
    expect(file.isError ?? false, text(file)).toBe(false);
    expect(text(file)).toContain("Order A-1 left the warehouse on Monday.");
  });

  it("rejects a tool outside the scope with the reasons in words, and the server never sees it", async () => {
    const result = (await stdioClient.callTool({ name: "notes__delete_all_notes", arguments: {} })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/^Mandate rejected the call to notes__delete_all_notes; it did not run/);
    expect(text(result)).toContain("(scope.tool_not_registered)");
    expect(upstreamCalls().filter((c) => c.tool === "delete_all_notes")).toEqual([]);
  });

  it("answers an unknown tool, oversized arguments and a malformed call with an MCP error and a reason", async () => {
    const unknown = await stdioClient.callTool({ name: "nowhere__anything", arguments: {} }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(McpError);
    expect((unknown as McpError).code).toBe(ErrorCode.InvalidParams);
    expect((unknown as McpError).message).toContain("unknown tool nowhere__anything");

    for (const client of [stdioClient, httpClient]) {
      const huge = await client
        .callTool({ name: "notes__lookup_note", arguments: { id: "x".repeat(10_000) } })
        .catch((e: unknown) => e);
      expect(huge).toBeInstanceOf(McpError);
      expect((huge as McpError).message).toMatch(/are \d+ bytes; this gateway accepts at most 4096/);

      const malformed = await client
        .request({ method: "tools/call", params: { name: 42, arguments: "not an object" } }, CallToolResultSchema)
        .catch((e: unknown) => e);
      expect(malformed).toBeInstanceOf(McpError);
      expect((malformed as McpError).code).toBe(ErrorCode.InvalidParams);
    }
    expect(upstreamCalls().some((c) => String(c.args.id).startsWith("xxxx"))).toBe(false);

    // Over stdio, lines that are not JSON-RPC get an error without an id back, and the next call is served.
    const gatewayStdin = (stdioTransport as unknown as { _process: ChildProcess })._process.stdin!;
    gatewayStdin.write('{"jsonrpc":"2.0","id":7,"method":\n');
    gatewayStdin.write('{"not":"json-rpc"}\n');
    await waitUntil("both errors back", async () => malformedReplies().length === 2);
    expect(malformedReplies().map((e) => JSON.parse(e.message.slice(e.message.indexOf("{"))).error.code)).toEqual([
      ErrorCode.ParseError,
      ErrorCode.InvalidRequest,
    ]);
    const after = await stdioClient.callTool({ name: "notes__lookup_note", arguments: { id: "A-3" } });
    expect(text(after)).toBe("note A-3 from notes: order A-1 shipped");

    const notJson = await fetch(httpUrl, {
      method: "POST",
      headers: { authorization: `Bearer ${httpToken}`, "content-type": "application/json" },
      body: '{"jsonrpc":"2.0","id":1,"method":',
    });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { code: number } }).error.code).toBe(ErrorCode.ParseError);
    const stranger = await fetch(httpUrl, { method: "POST", body: "{}" });
    expect(stranger.status).toBe(401);
  });

  it("a hanging upstream call ends at its deadline with an error, and the gateway keeps serving", async () => {
    const started = Date.now();
    const result = await stdioClient.callTool({ name: "notes__wait_forever", arguments: {} });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.isError).toBe(true);
    expect(text(result)).toContain("The call to notes__wait_forever was approved, and failed:");
    expect(upstreamCalls().some((c) => c.server === "notes" && c.tool === "wait_forever")).toBe(true);
    const next = await stdioClient.callTool({ name: "notes__lookup_note", arguments: { id: "A-2" } });
    expect(text(next)).toBe("note A-2 from notes: order A-1 shipped");
  });

  it("a flagged call waits for review: an approval runs it; no approval in time is an error and nothing runs", async () => {
    const reviewUrl = `http://127.0.0.1:${pipeline.review!.httpPort}`;
    const headers = { authorization: `Bearer ${reviewerToken}`, "content-type": "application/json" };
    const approved = stdioClient.callTool({
      name: "notes__send_message",
      arguments: { to: "approve-me@other.example", body: "About your order" },
    });
    let flagId: string | undefined;
    await waitUntil("the flag in the review queue", async () => {
      const { reviews } = (await (await fetch(`${reviewUrl}/reviews`, { headers })).json()) as {
        reviews: Array<{ decision_id: string; agent_id: string; tool: string }>;
      };
      flagId = reviews.find((r) => r.agent_id === "mcp-stdio-bot" && r.tool === "notes__send_message")?.decision_id;
      return flagId !== undefined;
    });
    const review = await fetch(`${reviewUrl}/reviews/${flagId}/approve`, {
      method: "POST",
      headers,
      body: JSON.stringify({ comment: "The customer gave this address on the phone." }),
    });
    expect(review.status).toBe(200);
    expect(text(await approved)).toBe("sent to approve-me@other.example");

    const started = Date.now();
    const result = await stdioClient.callTool({
      name: "notes__send_message",
      arguments: { to: "nobody-reviews@other.example", body: "About your order" },
    });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain("for human review and it was not approved within 6 s; it did not run");
    expect(text(result)).toContain("(alignment.unexplained_value)");
    expect(Date.now() - started).toBeGreaterThanOrEqual(6_000);
    expect(upstreamCalls().filter((c) => c.tool === "send_message")).toEqual([
      { server: "notes", tool: "send_message", args: { to: "approve-me@other.example" } },
    ]);
  });

  it("reports a broken upstream and keeps serving the others", async () => {
    expect(stdioGatewayLog).toMatch(/"event":"upstream_down","server":"broken"/);
    // One that never answers initialize is given up on at the connect deadline; the others were served all along.
    expect(httpGatewayLog).toMatch(
      /"event":"upstream_down","server":"stuck","problem":"could not connect within 10000 ms/,
    );
    expect((await httpClient.listTools()).tools.map((t) => t.name)).toEqual(["notes__lookup_note", "web__lookup_note"]);
    const broken = await stdioClient.callTool({ name: "broken__lookup_note", arguments: { id: "A-1" } });
    expect(broken.isError).toBe(true);
    expect(text(broken)).toContain("The tool broken__lookup_note is unavailable");

    // A server that dies in the middle of a call: the call fails, the server is reported, the rest serve.
    const crashed = await stdioClient.callTool({ name: "flaky__exit_now", arguments: {} });
    expect(crashed.isError).toBe(true);
    expect(text(crashed)).toContain("approved, and failed");
    await waitUntil("the crash to be reported", async () =>
      /"event":"upstream_down","server":"flaky"/.test(stdioGatewayLog),
    );
    const still = await stdioClient.callTool({ name: "web__lookup_note", arguments: { id: "A-1" } });
    expect(text(still)).toBe("note A-1 from web: order A-1 shipped");
    // Over stdio the gateway's stdout carried MCP messages only, whatever its loggers and Kafka said.
    expect(stdioClientErrors.filter((e) => !malformedReplies().includes(e))).toEqual([]);
  });

  it("tells clients to list again when a registration's scope changes", async () => {
    let told = false;
    httpClient.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      told = true;
    });
    const publisher = await GovernancePublisher.connect(connection);
    await publisher.publish({
      ...testRegistration("mcp-http-bot", ["notes__lookup_note", "web__lookup_note", "web__send_message"]),
      version: 2,
    });
    await publisher.close();
    await waitUntil("notifications/tools/list_changed", async () => told, { timeoutMs: 30_000 });
    expect((await httpClient.listTools()).tools.map((t) => t.name)).toEqual([
      "notes__lookup_note",
      "web__lookup_note",
      "web__send_message",
    ]);
  });

  it("stops cleanly on SIGTERM", async () => {
    const exited = new Promise<number | null>((resolve) => httpGateway.once("exit", (code) => resolve(code)));
    const started = Date.now();
    httpGateway.kill("SIGTERM");
    expect(await exited).toBe(0);
    // The SDK's consumers each wait out a fetch to leave; the servers get stdin closed, then SIGTERM.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(httpGatewayLog).toContain('"event":"service_stopped"');
  });
});

import { describe, expect, it } from "vitest";
import type { DecisionRecord, Reason } from "@mandate/contracts";
import { boundedResult } from "@mandate/mcp-gateway/bounded-result";
import { parseGatewayFile } from "@mandate/mcp-gateway/gateway-config";
import { refusalText, reviewTimeoutText } from "@mandate/mcp-gateway/refusal-text";

const minimal = `
gateway_id: support
listen: { transport: stdio }
clients:
  - agent_id: support-assistant
servers:
  - name: files
    command: npx
    args: [mcp-server-filesystem, /srv/files]
`;

describe("gateway.yaml", () => {
  it("fills in the defaults of a minimal file", () => {
    const file = parseGatewayFile(minimal, "gateway.yaml");
    expect(file.deadlines).toEqual({
      call_seconds: 30,
      review_seconds: 0,
      upstream_call_seconds: 20,
      upstream_connect_seconds: 10,
    });
    expect(file.max_argument_bytes).toBe(64 * 1024);
    expect(file.servers[0]).toMatchObject({ name: "files", command: "npx", env: {} });
  });

  it("reports every problem at once, with the line where the file says it", () => {
    const text = `gateway_id: my_gateway
listen:
  transport: http
clients:
  - agent_id: a
  - agent_id: a
servers:
  - name: notes
    url: not a url
  - name: notes
    command: node
deadlines:
  call_seconds: 5
  upstream_call_seconds: 10
surprise: true
`;
    let message = "";
    try {
      parseGatewayFile(text, "gateway.yaml");
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("gateway.yaml: invalid gateway configuration");
    expect(message).toContain("gateway_id (line 1): letters, digits and dashes");
    expect(message).toMatch(/servers\.0\.url \(line 9\)/);
    expect(message).toContain("servers.1.name (line 10): server notes is listed twice");
    expect(message).toContain("clients.1.agent_id (line 6): client a is listed twice");
    expect(message).toContain("clients.0.token_sha256: over http every client needs the sha256 of its bearer token");
    expect(message).toContain("deadlines.call_seconds (line 13): must be longer than upstream_call_seconds");
    expect(message).toContain("surprise");
  });

  it("over stdio there is exactly one client", () => {
    const two = minimal.replace("  - agent_id: support-assistant", "  - agent_id: one\n  - agent_id: two");
    expect(() => parseGatewayFile(two, "gateway.yaml")).toThrow(/over stdio the gateway has one client/);
  });

  it("says when the file is not YAML", () => {
    expect(() => parseGatewayFile("gateway_id: [unclosed", "gateway.yaml")).toThrow(/gateway.yaml: not YAML/);
  });
});

describe("what the model reads when a call did not run", () => {
  const reason = (code: string, message: string, severity: Reason["severity"]): Reason => ({
    axis: "scope",
    code,
    message,
    severity,
  });
  const decision = (verdict: DecisionRecord["verdict"], reasons: Reason[], reviewer: string | null = null) =>
    ({ verdict, reasons, reviewer, review_comment: reviewer ? "not for this customer" : null }) as DecisionRecord;

  it("a rejection names each weighing reason in words with its code, worst first, and no info reasons", () => {
    const text = refusalText(
      decision("rejected", [
        reason("identity.unsigned_agent", "the agent is in development mode", "info"),
        reason("payload.pii.email", "an e-mail address in the body", "suspicious"),
        reason("scope.tool_not_registered", "tool notes__delete_all_notes is not in the agent's scope", "critical"),
      ]),
      "notes__delete_all_notes",
    );
    expect(text).toBe(
      "Mandate rejected the call to notes__delete_all_notes; it did not run.\n" +
        "- tool notes__delete_all_notes is not in the agent's scope (scope.tool_not_registered)\n" +
        "- an e-mail address in the body (payload.pii.email)\n" +
        "Do not retry it unchanged: it is outside what this agent may do.",
    );
  });

  it("a flag, a reviewer's rejection and a review that never came say so", () => {
    const flag = decision("flagged", [reason("alignment.low", "the call fits the purpose poorly", "suspicious")]);
    expect(refusalText(flag, "notes__send_message")).toMatch(
      /^Mandate held the call to notes__send_message for human review; it did not run\.\n- the call fits the purpose poorly \(alignment\.low\)/,
    );
    expect(refusalText(decision("rejected", [], "alice"), "t")).toMatch(
      /^Mandate rejected the call to t; it did not run \(reviewer alice: not for this customer\)\.\n- no reason given/,
    );
    expect(reviewTimeoutText(flag, "notes__send_message", 3000)).toBe(
      "Mandate held the call to notes__send_message for human review and it was not approved within 3 s; " +
        "it did not run and will not run.\n- the call fits the purpose poorly (alignment.low)",
    );
  });
});

describe("an upstream result over max_result_bytes", () => {
  it("keeps its text, cut to fit as JSON and saying so, and drops what cannot be cut", () => {
    const result = {
      content: [
        { type: "text" as const, text: 'line with "quotes" and ünïcode\n'.repeat(200) },
        { type: "image" as const, data: "aGVsbG8=", mimeType: "image/png" },
      ],
      structuredContent: { big: "x".repeat(5000) },
    };
    const bounded = boundedResult(result, 2048);
    expect(Buffer.byteLength(JSON.stringify(bounded))).toBeLessThanOrEqual(2048);
    expect(bounded.structuredContent).toBeUndefined();
    const text = (bounded.content[0] as { text: string }).text;
    expect(text.startsWith('line with "quotes" and ünïcode\n')).toBe(true);
    expect(text.endsWith("\n[the result was cut at 2048 bytes]")).toBe(true);
    expect(text).not.toContain("\uFFFD");
  });

  it("returns a result that fits unchanged, and keeps isError on a cut one", () => {
    const small = { content: [{ type: "text" as const, text: "ok" }], structuredContent: { ok: true } };
    expect(boundedResult(small, 2048)).toBe(small);
    const failed = boundedResult({ content: [{ type: "text", text: "e".repeat(5000) }], isError: true }, 1024);
    expect(failed.isError).toBe(true);
  });
});

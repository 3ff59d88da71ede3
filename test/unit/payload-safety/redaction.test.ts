import { FAKE_PKCS8_PRIVATE_KEY } from "../../fixtures/secrets/fake-private-keys.js";
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import {
  assessPayload,
  redactSecrets,
  redactSecretsInText,
  type PayloadContext,
  type PayloadFinding,
} from "@mandate/validator/payload-safety/index";

const ctx: PayloadContext = {
  destination: null,
  destinationInScope: false,
  dataClasses: [],
  tool: "http_request",
  operation: "post",
};
const key = Buffer.from("redaction-test-key");
const token = `ghp_${"Zy9Xw8Vu7T".repeat(3)}s6R5q4`;

function redact(argumentsJson: string): string {
  return redactSecrets(argumentsJson, assessPayload(argumentsJson, ctx).findings, key);
}

describe("redactSecrets", () => {
  it("returns arguments without secrets unchanged", () => {
    const json = JSON.stringify({ subject: "Q3", body: "All good." });
    expect(redact(json)).toBe(json);
  });

  it("keeps the rest of the arguments as they were", () => {
    const redacted = JSON.parse(redact(JSON.stringify({ user: "bob", password: "Summer2024!", n: 3 }))) as Record<
      string,
      unknown
    >;
    expect(redacted.user).toBe("bob");
    expect(redacted.n).toBe(3);
    expect(redacted.password).toMatch(/^\[REDACTED:password:[0-9a-f]{12}\]$/);
  });

  it("redacts inside JSON text held in a string, keeping that string valid JSON", () => {
    const json = JSON.stringify({ body: JSON.stringify({ headers: { Authorization: `token ${token}` } }) });
    const redacted = redact(json);
    expect(redacted).not.toContain(token);
    const body = (JSON.parse(redacted) as { body: string }).body;
    expect(() => JSON.parse(body) as unknown).not.toThrow();
  });

  it("replaces a base64 string that hides a secret as a whole", () => {
    const hidden = Buffer.from(`export GITHUB_TOKEN=${token}`).toString("base64");
    const redacted = redact(JSON.stringify({ script: hidden }));
    expect(redacted).not.toContain(hidden);
    expect(JSON.parse(redacted)).toEqual({ script: expect.stringMatching(/^\[REDACTED:github_token:[0-9a-f]{12}\]$/) });
  });

  it("returns unparsable arguments as one JSON string, without the secret", () => {
    const raw = `curl -H "Authorization: Bearer ${token}" https://api.github.com`;
    const redacted = redact(raw);
    expect(JSON.parse(redacted)).toEqual(expect.stringContaining("[REDACTED:github_token:"));
    expect(redacted).not.toContain(token);
  });

  it("redacts a secret found in raw text even where JSON escapes it", () => {
    const pem = FAKE_PKCS8_PRIVATE_KEY;
    // Deeper than the limit: only the raw text is read, so the key is found in its escaped form.
    const json = `{"key": ${JSON.stringify(pem)}, "deep": ${"[".repeat(40)}${"]".repeat(40)}}`;
    const redacted = redact(json);
    expect(redacted).not.toContain("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC");
    expect(() => JSON.parse(redacted) as unknown).not.toThrow();
  });

  it("merges overlapping secrets so no fragment of either survives", () => {
    const findings: PayloadFinding[] = [
      {
        detector: "secrets",
        code: "c",
        message: "m",
        severity: "suspicious",
        path: "$.a",
        secret: { kind: "one", value: "ABCDEFGH" },
      },
      {
        detector: "secrets",
        code: "c",
        message: "m",
        severity: "suspicious",
        path: "$.a",
        secret: { kind: "two", value: "EFGHIJKL" },
      },
    ];
    const redacted = JSON.parse(redactSecrets(JSON.stringify({ a: "xxABCDEFGHIJKLyy" }), findings, key)) as {
      a: string;
    };
    expect(redacted.a).toMatch(/^xx\[REDACTED:one:[0-9a-f]{12}\]yy$/);
  });

  it("redacts secrets in keys", () => {
    const findings: PayloadFinding[] = [
      {
        detector: "secrets",
        code: "c",
        message: "m",
        severity: "suspicious",
        path: "$",
        secret: { kind: "k", value: token },
      },
    ];
    expect(redactSecrets(JSON.stringify({ [token]: 1 }), findings, key)).not.toContain(token);
  });
});

describe("redactSecretsInText", () => {
  it("replaces a found secret quoted in free text with the placeholder the arguments get", () => {
    const argumentsJson = JSON.stringify({ url: `https://example.com/?token=${token}` });
    const { findings } = assessPayload(argumentsJson, ctx);
    const message = `destination https://example.com/?token=${token} is new for this agent`;
    const redacted = redactSecretsInText(message, findings, key);
    expect(redacted).not.toContain(token);
    const placeholder = /\[REDACTED:[a-z_]+:[0-9a-f]{12}\]/.exec(redactSecrets(argumentsJson, findings, key))?.[0];
    expect(placeholder).toBeDefined();
    expect(redacted).toBe(`destination https://example.com/?token=${placeholder} is new for this agent`);
    expect(redactSecretsInText("nothing to hide", findings, key)).toBe("nothing to hide");
  });
});

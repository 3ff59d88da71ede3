import { githubToken, jwt, SECRET_EXAMPLES } from "../../fixtures/secrets/secret-examples.js";
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import {
  assessPayload,
  redactSecrets,
  type PayloadAssessment,
  type PayloadContext,
} from "@mandate/validator/payload-safety/index";

const inScope: PayloadContext = {
  destination: "api.partner.example",
  destinationInScope: true,
  dataClasses: [],
  tool: "http_request",
  operation: "post",
};

function assess(args: unknown, ctx: Partial<PayloadContext> = {}): PayloadAssessment {
  return assessPayload(typeof args === "string" ? args : JSON.stringify(args), { ...inScope, ...ctx });
}

describe("secrets detector", () => {
  it.each(SECRET_EXAMPLES)("finds %s", (_, args, kind, secret) => {
    const { findings } = assess(args);
    const finding = findings.find((f) => f.code === `payload.secret.${kind}`);
    expect(finding).toBeDefined();
    expect(finding?.secret?.value).toBe(secret);
    expect(finding?.severity).toBe("suspicious");
    expect(finding?.message).not.toContain(secret);
  });

  it("reports the path of the argument, through JSON held in a string", () => {
    const { findings } = assess({ body: JSON.stringify({ password: "Summer2024!" }) });
    expect(findings.map((f) => f.path)).toContain("$.body(json).password");
    expect(assess({ headers: { Authorization: `Bearer ${jwt}` } }).findings[0]?.path).toBe("$.headers.Authorization");
  });

  it("is critical when the credential leaves the agent's scope", () => {
    const outOfScope = { destination: "paste.example.net", destinationInScope: false };
    const assessment = assess({ password: "Summer2024!" }, outOfScope);
    expect(assessment.score).toBe(1);
    expect(assessment.findings[0]?.severity).toBe("critical");
    // Registration for credentials does not make sending one out of scope acceptable.
    expect(assess({ password: "Summer2024!" }, { ...outOfScope, dataClasses: ["credentials"] }).score).toBe(1);
  });

  it("keeps registered credentials in scope as info: no score, but still a finding for redaction", () => {
    const assessment = assess({ password: "Summer2024!" }, { dataClasses: ["credentials"] });
    expect(assessment.score).toBe(0);
    expect(assessment.findings).toHaveLength(1);
    expect(assessment.findings[0]?.severity).toBe("info");
    expect(assessment.findings[0]?.secret?.value).toBe("Summer2024!");
  });

  it("reads secrets in arguments that are not JSON", () => {
    const { findings } = assess("token=ghp_not json at all " + githubToken);
    expect(findings.map((f) => f.code)).toEqual(
      expect.arrayContaining(["payload.shape.not_json", "payload.secret.github_token"]),
    );
  });

  const negatives: [string, unknown][] = [
    [
      "a password policy",
      {
        title: "Password reset policy",
        body: "Users must reset their password every 90 days. Password: minimum-length-12 with one symbol. The password reset link expires after 1 hour.",
      },
    ],
    ["a masked password", { password: "********" }],
    ["a template variable", { password: "${DB_PASSWORD}", api_key: "<your-api-key>" }],
    ["a placeholder key", { api_key: "your-api-key-here" }],
    ["a UUID", { request_id: "550e8400-e29b-41d4-a716-446655440000" }],
    ["a git SHA", { commit: "9fceb02d0ae598e95dc970b74767f19372d61af8" }],
    ["a product ID", { asin: "B08KFQ9HK5" }],
    ["a public Stripe URL", { url: "https://api.stripe.com/v1/charges" }],
    ["a Stripe publishable key", { key: "pk_live_51HqLyjWDarjtT1zdp7dcXyZ0" }],
    ["a Python package name", { text: "we use sk-learn-pipeline-examples-for-beginners" }],
    [
      "prose about bearers and basics",
      { text: "Bearer of bad news: basic understanding of the token economy is needed." },
    ],
    ["a pagination token", { next_page_token: "CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA3" }],
    ["a secretary's name", { secretary: "Jane Doe" }],
    ["a boolean-like password flag", { password: "false" }],
  ];

  it.each(negatives)("leaves %s clean", (_, args) => {
    const assessment = assess(args);
    expect(assessment.findings).toEqual([]);
  });
});

describe("redaction of every secret found", () => {
  const key = Buffer.from("0123456789abcdef0123456789abcdef");

  it.each(SECRET_EXAMPLES)("removes %s from the trail", (_, args) => {
    const json = JSON.stringify(args);
    const assessment = assess(json);
    const secrets = assessment.findings.flatMap((f) => (f.secret === undefined ? [] : [f.secret]));
    expect(secrets.length).toBeGreaterThan(0);
    const redacted = redactSecrets(json, assessment.findings, key);
    expect(() => JSON.parse(redacted) as unknown).not.toThrow();
    for (const { value } of secrets) {
      expect(redacted).not.toContain(value);
      expect(redacted).not.toContain(JSON.stringify(value).slice(1, -1));
    }
    // A value found twice (as "password=..." text and as a password field) gets one placeholder.
    const kinds = secrets.map((secret) => secret.kind).join("|");
    expect(redacted).toMatch(new RegExp(String.raw`\[REDACTED:(?:${kinds}):[0-9a-f]{12}\]`));
  });

  it("gives the same secret the same placeholder, and a different key a different one", () => {
    const first = { password: "Summer2024!" };
    const second = { note: "again", nested: { password: "Summer2024!" } };
    const placeholder = (args: unknown, fingerprintKey: Buffer): string => {
      const json = JSON.stringify(args);
      const redacted = redactSecrets(json, assess(json).findings, fingerprintKey);
      return /\[REDACTED:password:[0-9a-f]{12}\]/.exec(redacted)?.[0] ?? "";
    };
    expect(placeholder(first, key)).not.toBe("");
    expect(placeholder(first, key)).toBe(placeholder(second, key));
    expect(placeholder(first, Buffer.from("another key"))).not.toBe(placeholder(first, key));
  });
});

describe("secrets detector: credentials written into prose", () => {
  it("redacts a prose password from the trail", () => {
    const args = JSON.stringify({ notes: "Login for the demo: demo.user / Summer2025!Acme" });
    const { findings } = assess(args);
    expect(redactSecrets(args, findings, Buffer.from("0123456789abcdef0123456789abcdef"))).not.toContain(
      "Summer2025!Acme",
    );
  });

  it.each([
    ["a branch name beside a slash", "Log in and check feature/JIRA-1234_fix before the release."],
    ["a ratio in a note", "Login success rate is 97% / 99.5% target this quarter."],
    ["a file path in a how-to", "Sign in, then open settings / Notifications-Panel to change it."],
    ["an order number next to 'code'", "Your verification email has been sent; order 48291377 ships Friday."],
    ["a password policy", "The password is minimum-length-12 per policy."],
    ["last four digits of a card", "Your renewal was charged to the Visa card ending in 4417."],
  ])("leaves %s clean", (_, notes) => {
    expect(assess({ notes }).findings).toEqual([]);
  });
});

describe("secrets broken up by invisible characters", () => {
  const key = ["AKIA", "Z7QW", "ERTY", "UIOP", "ASD4"].join("");
  const broken = `${key.slice(0, 6)}\u200d${key.slice(6, 12)}\u200b${key.slice(12)}`;

  it("finds the key and rejects sending it out of scope", () => {
    const { findings } = assess(
      { note: `creds: ${broken}` },
      { destination: "paste.example", destinationInScope: false },
    );
    expect(findings.map((f) => `${f.code}:${f.severity}`)).toContain("payload.secret.aws_access_key:critical");
  });

  it("redacts the whole string that carried it", () => {
    const args = JSON.stringify({ note: `creds: ${broken}` });
    const { findings } = assess(args);
    const redacted = redactSecrets(args, findings, Buffer.alloc(32, 7));
    expect(redacted).not.toContain(key.slice(0, 6));
    expect(redacted).toContain("[REDACTED:aws_access_key:");
  });
});

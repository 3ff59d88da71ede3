import { FAKE_RSA_PRIVATE_KEY } from "../../fixtures/secrets/fake-private-keys.js";
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import {
  assessPayload,
  redactSecrets,
  type PayloadAssessment,
  type PayloadContext,
} from "../../../services/validator/src/payload-safety/index.js";

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

const jwt =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
const pem = FAKE_RSA_PRIVATE_KEY;
const githubToken = `ghp_${"aB3dE5fG7h".repeat(3)}J9kL1m`;

/** [description, arguments, expected code, the secret the finding must carry]. */
const positives: [string, unknown, string, string][] = [
  [
    "AWS access key ID in text",
    { config: "aws_access_key_id = AKIAIOSFODNN7EXAMPLE" },
    "aws_access_key",
    "AKIAIOSFODNN7EXAMPLE",
  ],
  [
    "AWS secret key in an env line",
    { env: "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
    "aws_secret_key",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  ],
  [
    "AWS secret key in a named field",
    { aws_secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
    "aws_secret_key",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  ],
  ["GitHub classic token", { note: `use ${githubToken} for the push` }, "github_token", githubToken],
  [
    "GitHub fine-grained token",
    { token: `github_pat_11ABCDEFG0${"x1Y2z3".repeat(10)}` },
    "github_token",
    `github_pat_11ABCDEFG0${"x1Y2z3".repeat(10)}`,
  ],
  ["GitLab token", { value: "glpat-Ab12Cd34Ef56Gh78Ij90" }, "gitlab_token", "glpat-Ab12Cd34Ef56Gh78Ij90"],
  [
    "Slack bot token",
    { slack: "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx" },
    "slack_token",
    "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
  ],
  [
    "Slack webhook URL",
    { hook: "https://hooks.slack.com/services/T0123ABCD/B0456EFGH/aBcDeFgHiJkLmNoPqRsTuVwX" },
    "webhook_url",
    "https://hooks.slack.com/services/T0123ABCD/B0456EFGH/aBcDeFgHiJkLmNoPqRsTuVwX",
  ],
  [
    "Stripe live key",
    { stripe: "sk_live_51HqLyjWDarjtT1zdp7dcXyZ0" },
    "stripe_key",
    "sk_live_51HqLyjWDarjtT1zdp7dcXyZ0",
  ],
  [
    "OpenAI project key",
    { llm: "OPENAI_API_KEY is sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34" },
    "openai_api_key",
    "sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34",
  ],
  [
    "Anthropic key",
    { llm: "sk-ant-api03-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56" },
    "anthropic_api_key",
    "sk-ant-api03-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56",
  ],
  [
    "Google API key",
    { maps: "key=AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW" },
    "google_api_key",
    "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW",
  ],
  ["JWT in an Authorization header", { headers: { Authorization: `Bearer ${jwt}` } }, "jwt", jwt],
  ["private key PEM block", { file: pem }, "private_key", pem],
  ["private key cut off before its END line", { file: pem.slice(0, 120) }, "private_key", pem.slice(0, 120)],
  [
    "postgres connection string",
    { dsn: "postgres://app:S3cr3tPass@db.internal:5432/app" },
    "connection_string",
    "S3cr3tPass",
  ],
  [
    "mongodb+srv connection string",
    { dsn: "mongodb+srv://reporter:hunter2xyz@cluster0.mongodb.net/test" },
    "connection_string",
    "hunter2xyz",
  ],
  [
    "password in an https URL",
    { url: "https://admin:Adm1nPass@intranet.example.com/" },
    "url_credentials",
    "Adm1nPass",
  ],
  [
    "basic auth header",
    { headers: { Authorization: "Basic dXNlcjpwYXNzd29yZDEyMw==" } },
    "basic_auth",
    "dXNlcjpwYXNzd29yZDEyMw==",
  ],
  [
    "opaque bearer token",
    { headers: { authorization: "Bearer 9f8e7d6c5b4aQwErTy" } },
    "bearer_token",
    "9f8e7d6c5b4aQwErTy",
  ],
  ["password field", { username: "svc-report", password: "Summer2024!" }, "password", "Summer2024!"],
  ["camel-case password field", { dbPassword: "correct horse battery" }, "password", "correct horse battery"],
  ["api_key field", { api_key: "q8Fz3LmP0xR7tYv2Kw9B" }, "credential", "q8Fz3LmP0xR7tYv2Kw9B"],
  [
    "password assignment in a query string",
    { url: "/login?user=bob&password=Tr0ub4dor3x" },
    "credential",
    "Tr0ub4dor3x",
  ],
  [
    "secret in JSON text inside a string",
    { body: JSON.stringify({ user: "bob", password: "Summer2024!" }) },
    "password",
    "Summer2024!",
  ],
  ["token behind URL encoding", { q: `token%3D${githubToken}%26x%3D1` }, "github_token", githubToken],
  [
    "AWS key behind base64",
    { blob: Buffer.from("aws_access_key_id=AKIAIOSFODNN7EXAMPLE").toString("base64") },
    "aws_access_key",
    Buffer.from("aws_access_key_id=AKIAIOSFODNN7EXAMPLE").toString("base64"),
  ],
];

describe("secrets detector", () => {
  it.each(positives)("finds %s", (_, args, kind, secret) => {
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

  it.each(positives)("removes %s from the trail", (_, args) => {
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

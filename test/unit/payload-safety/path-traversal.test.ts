import { describe, expect, it } from "vitest";
import { assessPayload, type PayloadAssessment, type PayloadContext } from "@mandate/validator/payload-safety/index";

const fileTool: PayloadContext = {
  destination: null,
  destinationInScope: false,
  dataClasses: [],
  tool: "read_file",
  operation: "read",
};

function assess(args: unknown, ctx: Partial<PayloadContext> = {}): PayloadAssessment {
  return assessPayload(JSON.stringify(args), { ...fileTool, ...ctx });
}

function codes(assessment: PayloadAssessment): string[] {
  return assessment.findings.map((f) => `${f.code}:${f.severity}`);
}

describe("path detector", () => {
  it.each([
    ["../ to a system file", "../../etc/passwd"],
    ["..\\ to win.ini", "..\\..\\windows\\win.ini"],
    ["a URL climbing to the shadow file", "http://files.example/static/../../../etc/shadow"],
    ["an absolute path climbing back", "/var/www/../../etc/shadow"],
    ["percent-encoded ../", "%2e%2e%2f%2e%2e%2fetc%2fpasswd"],
    ["encoded backslashes", "..%5c..%5cboot.ini"],
    ["double encoding", "%252e%252e%252f%252e%252e%252ftmp%252fx"],
    ["overlong UTF-8 dots", "%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd"],
  ])("flags traversal through %s as critical", (_, file) => {
    expect(codes(assess({ file }))).toContain("payload.path.traversal:critical");
  });

  it("flags plain traversal out of the directory as suspicious", () => {
    expect(codes(assess({ file: "../../../../tmp/x" }))).toEqual(["payload.path.traversal:suspicious"]);
    expect(codes(assess({ file: "../outside.txt" }))).toEqual(["payload.path.traversal:suspicious"]);
  });

  it.each([
    ["/etc/shadow", "/etc/shadow"],
    ["an SSH private key", "~/.ssh/id_rsa"],
    ["AWS credentials", "/home/deploy/.aws/credentials"],
    ["the Windows SAM hive", "C:\\Windows\\System32\\config\\SAM"],
    ["process environment", "/proc/self/environ"],
  ])("flags %s as a critical credential file", (_, file) => {
    expect(codes(assess({ file }))).toContain("payload.path.credential_file:critical");
  });

  it.each([
    ["/etc/passwd", "/etc/passwd"],
    ["System32", "C:\\Windows\\System32"],
  ])("flags %s as a suspicious system file", (_, file) => {
    expect(codes(assess({ file }))).toEqual(["payload.path.system_file:suspicious"]);
  });

  it("flags a NUL byte hidden by URL encoding", () => {
    expect(codes(assess({ file: "report.pdf%00.png" }))).toContain("payload.path.null_byte:suspicious");
  });

  it.each([
    ["a report path", { file: "reports/2024/q3.csv" }],
    ["a path that stays inside", { file: "reports/../summary.csv" }],
    ["a URL that stays inside", { url: "https://example.com/docs/a/../b" }],
    ["a public key", { file: "~/.ssh/id_rsa.pub" }],
    ["ellipses in prose", { text: "Wait... what? Versions 1..2 are affected." }],
    [
      "relative imports in source code",
      { path: "src/app.ts", content: 'import { run } from "../lib/run.js";\nimport x from "../../shared/x.js";\n' },
    ],
    ["a Windows document path", { file: "C:\\Users\\sam\\Documents\\q3.xlsx" }],
  ])("leaves %s clean", (_, args) => {
    expect(assess(args).findings).toEqual([]);
  });
});

describe("path detector: dotenv files", () => {
  it.each([
    ["a production dotenv file", ".env.production"],
    ["a dotenv file in a folder", "apps/web/.env"],
    ["a dotenv file read by a command", "cat .env.local"],
  ])("flags %s", (_, path) => {
    expect(codes(assess({ path }))).toEqual(["payload.path.secrets_file:suspicious"]);
  });

  it.each([
    ["the checked-in template", ".env.example"],
    ["a sample file", "config/.env.sample"],
    ["an environment name", "production.env-settings.md"],
    ["a dotenv loader in code", "import 'dotenv/config';\nconst url = process.env.API_URL; // from .env\n"],
    [
      "a prose mention in a long body",
      `${"The service reads its settings at start. ".repeat(8)}See .env for the list.`,
    ],
  ])("leaves %s clean", (_, path) => {
    expect(assess({ path }).findings).toEqual([]);
  });
});

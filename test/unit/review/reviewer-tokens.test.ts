import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "@mandate/contracts";
import { mayReview, ReviewerTokens, tokenSha256 } from "@mandate/review/reviewer-tokens";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mandate-review-tokens-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function tokensFile(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

describe("reviewer tokens", () => {
  const aliceToken = "alice-token-7f3a";
  const victorToken = "victor-token-0c21";

  it("reads a YAML file and knows each token by its SHA-256 only", () => {
    const file = tokensFile(
      "tokens.yaml",
      `- name: alice
  role: reviewer
  teams: [payments, support]
  token_sha256: ${tokenSha256(aliceToken)}
- name: victor
  role: viewer
  teams: ["*"]
  token_sha256: ${tokenSha256(victorToken).toUpperCase()}
`,
    );
    const tokens = ReviewerTokens.fromFile(file);
    expect(tokens.authenticate(aliceToken)).toEqual({
      name: "alice",
      role: "reviewer",
      teams: ["payments", "support"],
    });
    expect(tokens.authenticate(victorToken)).toEqual({ name: "victor", role: "viewer", teams: ["*"] });
    expect(tokens.authenticate(tokenSha256(aliceToken))).toBeUndefined();
    expect(tokens.authenticate("")).toBeUndefined();
    expect(tokens.authenticate(`${aliceToken} `)).toBeUndefined();
    expect(fs.readFileSync(file, "utf8")).not.toContain(aliceToken);
  });

  it("reads the same list as JSON", () => {
    const file = tokensFile(
      "tokens.json",
      JSON.stringify([{ name: "alice", role: "reviewer", teams: ["payments"], token_sha256: tokenSha256(aliceToken) }]),
    );
    expect(ReviewerTokens.fromFile(file).authenticate(aliceToken)?.name).toBe("alice");
  });

  it("reports every problem of a bad file at once", () => {
    const hash = tokenSha256(aliceToken);
    const file = tokensFile(
      "bad.yaml",
      `- name: alice
  role: admin
  teams: ["*"]
  token_sha256: ${hash}
- name: alice
  role: reviewer
  teams: ["*"]
  token_sha256: ${hash}
- name: bob
  role: viewer
  teams: ["*"]
  token_sha256: not-a-hash
- name: carol
  role: viewer
  teams: ["*"]
  token: plain-text-token
- name: erin
  role: reviewer
  teams: []
  token_sha256: ${tokenSha256("erin-token")}
`,
    );
    let error: unknown;
    try {
      ReviewerTokens.fromFile(file);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain("0.role");
    expect(message).toContain("the same token is listed twice");
    expect(message).toContain("alice is listed twice");
    expect(message).toContain("2.token_sha256");
    expect(message).toMatch(/3: .*token/);
    expect(message).toMatch(/4\.teams: list the owners \(teams\) this token may review, or \["\*"\]/);
  });

  it('a token reaches only its teams\' agents; "*" reaches every team, and the only one for an unknown owner', () => {
    const alice = { name: "alice", role: "reviewer" as const, teams: ["payments"] };
    const root = { name: "root", role: "reviewer" as const, teams: ["*"] };
    expect(mayReview(alice, "payments")).toBe(true);
    expect(mayReview(alice, "support")).toBe(false);
    expect(mayReview(alice, undefined)).toBe(false);
    expect(mayReview(root, "support")).toBe(true);
    expect(mayReview(root, undefined)).toBe(true);
  });

  it("refuses an empty list and a file that is not YAML", () => {
    expect(() => ReviewerTokens.fromFile(tokensFile("empty.yaml", "[]\n"))).toThrow(/at least one token/);
    expect(() => ReviewerTokens.fromFile(tokensFile("broken.yaml", "- name: [unclosed\n"))).toThrow(ConfigError);
  });
});

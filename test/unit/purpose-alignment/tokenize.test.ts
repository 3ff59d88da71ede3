import { describe, expect, it } from "vitest";
import { carriesMeaning, tokenize } from "@mandate/validator/purpose-alignment/tokenize";

describe("tokenize", () => {
  it.each([
    ["GmailSendEmail", ["gmail", "send", "email"]],
    ["send_sms_message", ["send", "sms", "message"]],
    ["kubectl-apply", ["kubectl", "apply"]],
    ["HTTPRequest", ["http", "request"]],
    ["getURLsFromPage", ["get", "urls", "from", "page"]],
    ["S3Bucket.putObject", ["s3", "bucket", "put", "object"]],
    ["EC2Instance", ["ec2", "instance"]],
    ["Base64Encode", ["base64", "encode"]],
    ["SMS", ["sms"]],
  ])("splits the tool name %s", (name, words) => {
    expect(tokenize(name)).toEqual(words);
  });

  it("lowercases, strips punctuation and keeps numbers as tokens", () => {
    expect(tokenize("Refund order #4411, then e-mail the customer!")).toEqual([
      "refund",
      "order",
      "4411",
      "then",
      "e",
      "mail",
      "the",
      "customer",
    ]);
  });

  it("folds accents so words reach the ASCII vocabulary", () => {
    expect(tokenize("Attach the résumé of Zoë")).toEqual(["attach", "the", "resume", "of", "zoe"]);
  });

  it("drops runs too long to be words (hashes, base64)", () => {
    expect(tokenize(`token ${"a1".repeat(40)} end`)).toEqual(["token", "end"]);
  });

  it("appends to the array it is given", () => {
    const out = tokenize("ReadFile");
    tokenize("read the report", out);
    expect(out).toEqual(["read", "file", "read", "the", "report"]);
  });

  it("treats pure numbers as carrying no meaning", () => {
    expect(carriesMeaning("2025")).toBe(false);
    expect(carriesMeaning("s3")).toBe(true);
    expect(carriesMeaning("invoice")).toBe(true);
  });
});

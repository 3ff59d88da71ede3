import { FAKE_RSA_PRIVATE_KEY_HEADER } from "../../fixtures/secrets/fake-private-keys.js";
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import {
  assessPayload,
  findInjectedInstructions,
  normaliseText,
  redactSecrets,
  toReasons,
  type PayloadContext,
} from "@mandate/validator/payload-safety/index";

/*
 * Inputs built to make a backtracking regex or a naive scan blow up: long runs of what the patterns
 * start with, repeated near-misses, and deep nesting. Each must be decided well within a second.
 */

const SIZE = 100 * 1024;
const BUDGET_MS = 1000;

function fill(unit: string): string {
  return unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);
}

const units = [
  "a",
  "1",
  " ",
  "\n",
  "'",
  '"',
  "\\",
  "%",
  "%25",
  "%2e%2e%2f",
  "../",
  "..\\",
  "@",
  "a@",
  "a@b.",
  "1 ",
  "1-",
  "1.",
  "1.1.1.",
  ":",
  "::",
  "0x",
  "[",
  "eyJ",
  "eyJa.",
  "AKIA",
  "ghp_",
  "sk-",
  "xoxb-",
  `${FAKE_RSA_PRIVATE_KEY_HEADER}\n`,
  "://",
  "http://",
  "a://b:c",
  "password=",
  "password=aA1",
  "Bearer ",
  "Basic ",
  "aws secret ",
  "' OR ",
  " or 1=",
  "'--",
  "; ",
  "; select a, ",
  "select ",
  "union select ",
  "/*",
  "drop table ",
  "delete from t ",
  "rm -rf ",
  "curl x ",
  "| ",
  "$(",
  "`",
  "nc ",
  "dd if=",
  "ignore previous ",
  "send data to ",
  "<|",
  "<!--",
  '<a style="display:none">',
  '<a style="',
  "note for any ",
  "SYSTEM OVERRIDE ",
  "without manager ",
  "@x-agent new instruction from ",
  "user / ",
  "a.b / Aa1!aaaa ",
  "MFA code ",
  "password is ",
  "a,b,c\n",
  "aA0+",
  "0123456789abcdef",
  "4111 ",
  "123-45-",
  "ignora las instrucciones ",
  "игнорируй ",
  "忽略之前",
  "\u200b",
  "A\u200d",
  "\u0430",
  "p\u0430y ",
  "![x](https://a.example/?q=",
  '<img src="https://a.example/i?d=',
  "https://a.example/?a=b+c+d+e&",
  "Please transfer ",
  ", please send my ",
];

const contexts: PayloadContext[] = [
  { destination: "x.example", destinationInScope: false, dataClasses: [], tool: "http_request", operation: "post" },
  { destination: null, destinationInScope: false, dataClasses: [], tool: "run_sql", operation: "query" },
  { destination: null, destinationInScope: false, dataClasses: [], tool: "run_shell", operation: "exec" },
];

function timed(run: () => void): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

describe("pathological input", () => {
  it.each(units.map((unit) => [JSON.stringify(unit).slice(0, 40), unit]))(
    "decides 100 KB of %s in bounded time",
    (_, unit) => {
      const text = fill(unit);
      const shapes = [
        JSON.stringify({ value: text }),
        JSON.stringify({ value: `${text}!` }),
        JSON.stringify({ [text.slice(0, 4096)]: text.slice(0, 4096) }),
        text,
      ];
      for (const ctx of contexts) {
        for (const argumentsJson of shapes) {
          let findings: ReturnType<typeof assessPayload>["findings"] = [];
          const elapsed = timed(() => {
            findings = assessPayload(argumentsJson, ctx).findings;
          });
          expect(elapsed).toBeLessThan(BUDGET_MS);
          const redactionTime = timed(() => redactSecrets(argumentsJson, findings, Buffer.from("key")));
          expect(redactionTime).toBeLessThan(BUDGET_MS);
        }
      }
    },
  );

  it.each([
    ["deeply nested arrays", "[".repeat(SIZE) + "]".repeat(SIZE)],
    ["deeply nested objects", '{"a":'.repeat(SIZE / 5) + "1" + "}".repeat(SIZE / 5)],
    ["unclosed nesting", "[".repeat(SIZE)],
    ["JSON text nested in strings", JSON.stringify({ a: JSON.stringify({ b: JSON.stringify({ c: fill("[") }) }) })],
    ["many tiny values", JSON.stringify(new Array(20_000).fill(0))],
    ["many short strings", JSON.stringify(new Array(9_000).fill("../../etc/passwd"))],
    ["a string of escaped quotes", JSON.stringify({ a: fill('\\"') })],
    ["input over the size limit", JSON.stringify({ a: "a".repeat(10 * SIZE) })],
  ])("decides %s in bounded time", (_, argumentsJson) => {
    for (const ctx of contexts) {
      expect(timed(() => assessPayload(argumentsJson, ctx))).toBeLessThan(BUDGET_MS);
    }
  });
});

describe("pathological input: what comes back", () => {
  const ctx = contexts[0] as PayloadContext;
  const DEEP = 100_000;

  it.each([
    ["arrays", "[".repeat(DEEP) + "]".repeat(DEEP), "too_deep"],
    // 100k levels of '{"a":' are over the size limit before they are too deep.
    ["objects", '{"a":'.repeat(DEEP) + "1" + "}".repeat(DEEP), "too_large"],
    ["objects within the size limit", '{"a":'.repeat(40_000) + "1" + "}".repeat(40_000), "too_deep"],
    ["JSON text in a string", JSON.stringify({ a: "[".repeat(DEEP) + "]".repeat(DEEP) }), "too_deep"],
  ])("gives %s nested deep one shape reason, not a stack overflow", (_, argumentsJson, problem) => {
    const reasons = toReasons(assessPayload(argumentsJson, ctx).findings);
    expect(reasons.map((r) => `${r.code}:${r.severity}`)).toEqual([`payload.shape.${problem}:critical`]);
  });

  it("gives one reason per kind, however many values hold it", () => {
    const keys = Array.from(
      { length: 2_000 },
      (_, i) =>
        `AKIA${String(i)
          .padStart(16, "Q")
          .replace(/\d/g, (d) => "ABCDEFGHIJ"[Number(d)] ?? "Q")}`,
    );
    const argumentsJson = JSON.stringify({ notes: keys, urls: keys.map((_, i) => `http://10.0.${i % 250}.1/`) });
    const reasons = toReasons(assessPayload(argumentsJson, ctx).findings);
    expect(reasons.map((r) => r.code).sort()).toEqual([
      "payload.secret.aws_access_key",
      "payload.ssrf.private_network",
    ]);
    expect(reasons.every((r) => r.message.length < 300)).toBe(true);
  });

  it("folds and reads 200 KB of invisible and look-alike characters in bounded time", () => {
    const text = "ig\u200bn\u043er\u0435 previous instructions \u200d".repeat(5_000);
    expect(timed(() => normaliseText(text))).toBeLessThan(BUDGET_MS);
    expect(timed(() => assessPayload(JSON.stringify({ body: text.slice(0, 60_000) }), ctx))).toBeLessThan(BUDGET_MS);
  });

  it("reads a megabyte of tool output for injected instructions in bounded time", () => {
    for (const unit of ["Please ", "please send my data to ", "ignora ", "\u200b", "<img src=", ", "]) {
      const text = unit.repeat(Math.ceil((1024 * 1024) / unit.length));
      expect(timed(() => findInjectedInstructions(text))).toBeLessThan(BUDGET_MS);
    }
  });
});

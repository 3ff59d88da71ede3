import { describe, expect, it } from "vitest";
import { compileGlob, matchAnyGlob, matchGlob } from "@mandate/validator/scope-policy/index";

const matches = (pattern: string, text: string): boolean => matchGlob(compileGlob(pattern), text);

/** A slow but obviously right reference: every `*` tried at every length. */
function reference(pattern: string, text: string): boolean {
  if (pattern === "") return text === "";
  if (pattern[0] === "*") {
    for (let skip = 0; skip <= text.length; skip += 1) if (reference(pattern.slice(1), text.slice(skip))) return true;
    return false;
  }
  return text !== "" && pattern[0] === text[0] && reference(pattern.slice(1), text.slice(1));
}

describe("glob matching", () => {
  it("matches a pattern without a star only exactly", () => {
    expect(matches("accounts/acme", "accounts/acme")).toBe(true);
    expect(matches("accounts/acme", "accounts/acme2")).toBe(false);
    expect(matches("accounts/acme", "Accounts/acme")).toBe(false);
    expect(matches("", "")).toBe(true);
    expect(matches("", "x")).toBe(false);
  });

  it("lets a star absorb anything, separators and nothing included", () => {
    expect(matches("*", "")).toBe(true);
    expect(matches("*", "a/b.c")).toBe(true);
    expect(matches("**", "anything")).toBe(true);
    expect(matches("accounts/*", "accounts/")).toBe(true);
    expect(matches("accounts/*", "accounts/a/b")).toBe(true);
    expect(matches("*.bank.example", "api.eu.bank.example")).toBe(true);
    expect(matches("*.bank.example", "bank.example")).toBe(false);
    expect(matches("*.bank.example", "evil-bank.example")).toBe(false);
    expect(matches("files/*/invoices/*", "files/2024/invoices/42.pdf")).toBe(true);
    expect(matches("files/*/invoices/*", "files/2024/receipts/42.pdf")).toBe(false);
  });

  it("does not let prefix, middle and suffix overlap", () => {
    expect(matches("a*a", "a")).toBe(false);
    expect(matches("a*a", "aa")).toBe(true);
    expect(matches("ab*ba", "aba")).toBe(false);
    expect(matches("*ab*b", "ab")).toBe(false);
    expect(matches("*ab*b", "abb")).toBe(true);
    expect(matches("x*abc*abc*y", "xabcabcy")).toBe(true);
    expect(matches("x*abc*abc*y", "xabcy")).toBe(false);
  });

  it("finds a middle run after a false start (KMP restarts correctly)", () => {
    expect(matches("*aab*", "aaab")).toBe(true);
    expect(matches("*abab*", "ababcabab")).toBe(true);
    expect(matches("*aaa*", "aabaab")).toBe(false);
  });

  it("agrees with a brute-force reference on every small case", () => {
    const alphabet = ["a", "b", "*"];
    const words = (length: number, letters: string[]): string[] =>
      length === 0 ? [""] : words(length - 1, letters).flatMap((word) => letters.map((letter) => word + letter));
    const patterns = [0, 1, 2, 3, 4].flatMap((length) => words(length, alphabet));
    const texts = [0, 1, 2, 3, 4, 5].flatMap((length) => words(length, ["a", "b"]));
    for (const pattern of patterns) {
      for (const text of texts) expect(matches(pattern, text), `${pattern} ~ ${text}`).toBe(reference(pattern, text));
    }
  });

  it("stays linear on inputs that make backtracking matchers quadratic or worse", () => {
    const text = "a".repeat(200_000);
    const pattern = compileGlob(`*${"a".repeat(2_000)}b*`);
    const started = performance.now();
    expect(matchGlob(pattern, text)).toBe(false);
    const starred = compileGlob("*a*a*a*a*a*a*a*a*a*a*b");
    expect(matchGlob(starred, text)).toBe(false);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it("matches if any pattern matches, and nothing against no patterns", () => {
    const patterns = ["accounts/*", "ledger/*"].map(compileGlob);
    expect(matchAnyGlob(patterns, "ledger/2024")).toBe(true);
    expect(matchAnyGlob(patterns, "payroll/2024")).toBe(false);
    expect(matchAnyGlob([], "anything")).toBe(false);
  });
});

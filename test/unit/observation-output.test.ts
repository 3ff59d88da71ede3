import { describe, expect, it } from "vitest";
import { boundedOutput, boundedText, parsedOutput } from "@mandate/contracts";

describe("a tool's result as an observation's output", () => {
  it("sends a string as text and anything else as JSON; nothing as null", () => {
    expect(boundedOutput("plain page text", 100)).toEqual({ text: "plain page text", truncated: false });
    expect(boundedOutput({ status: "shipped" }, 100)).toEqual({ text: '{"status":"shipped"}', truncated: false });
    expect(boundedOutput(undefined, 100)).toEqual({ text: "null", truncated: false });
    expect(boundedOutput(42n, 100)).toEqual({ text: "42", truncated: false });
  });

  it("cuts to the byte bound without splitting a character, and says so", () => {
    expect(boundedText("abcdef", 4)).toEqual({ text: "abcd", truncated: true });
    // "é" is two bytes in UTF-8, "€" three: a cut inside either backs up to the character before.
    expect(boundedText("aé", 2)).toEqual({ text: "a", truncated: true });
    expect(boundedText("a€b", 3)).toEqual({ text: "a", truncated: true });
    expect(boundedText("a€b", 4)).toEqual({ text: "a€", truncated: true });
    expect(boundedText("a€", 4)).toEqual({ text: "a€", truncated: false });
  });

  it("gives the agent parsed JSON when it parses, the text otherwise", () => {
    expect(parsedOutput('{"status":"shipped"}')).toEqual({ status: "shipped" });
    expect(parsedOutput("null")).toBeNull();
    expect(parsedOutput('{"status":"ship')).toBe('{"status":"ship');
    expect(parsedOutput("plain page text")).toBe("plain page text");
  });
});

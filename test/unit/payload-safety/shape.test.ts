import { describe, expect, it } from "vitest";
import {
  assessPayload,
  DEFAULT_PAYLOAD_LIMITS,
  type PayloadAssessment,
  type PayloadContext,
  type PayloadLimits,
} from "@mandate/validator/payload-safety/index";

const ctx: PayloadContext = {
  destination: null,
  destinationInScope: false,
  dataClasses: [],
  tool: "write_file",
  operation: "write",
};

function assess(argumentsJson: string, limits?: PayloadLimits): PayloadAssessment {
  return assessPayload(argumentsJson, ctx, limits);
}

function codes(assessment: PayloadAssessment): string[] {
  return assessment.findings.map((f) => `${f.code}:${f.severity}`);
}

function nestedArrays(depth: number): string {
  return `${"[".repeat(depth)}1${"]".repeat(depth)}`;
}

describe("shape detector", () => {
  it.each([
    ["plain text", "hello there"],
    ["an empty string", ""],
    ["truncated JSON", '{"a": "b"'],
    ["a raw tab inside a string", '{"a": "b\tc"}'],
  ])("flags %s as not JSON", (_, text) => {
    expect(codes(assess(text))).toContain("payload.shape.not_json:critical");
  });

  it.each([
    ["a raw NUL", '{"a": "b\u0000c"}'],
    ["a raw lone surrogate", '{"a": "\ud800"}'],
  ])("flags %s in the text as binary", (_, text) => {
    expect(codes(assess(text))).toEqual(["payload.shape.binary:critical"]);
  });

  it.each([
    ["an escaped NUL", String.raw`{"a": "b\u0000c"}`],
    ["an escaped lone surrogate", String.raw`{"a": "\ud800x"}`],
    ["an escaped control character", String.raw`{"a": "\u0007bell"}`],
  ])("flags %s in a value as binary at its path", (_, text) => {
    const { findings } = assess(text);
    expect(findings.map((f) => [f.code, f.path])).toEqual([["payload.shape.binary", "$.a"]]);
  });

  it("accepts ordinary escapes and paired surrogates", () => {
    expect(assess(JSON.stringify({ text: "line\nbreak\ttab 😀 ünïcödé" })).findings).toEqual([]);
  });

  it("flags nesting deeper than 32 levels, and accepts 32", () => {
    expect(assess(nestedArrays(32)).findings).toEqual([]);
    expect(codes(assess(nestedArrays(33)))).toEqual(["payload.shape.too_deep:critical"]);
    expect(codes(assess(`{"a": ${nestedArrays(40)}}`))).toEqual(["payload.shape.too_deep:critical"]);
  });

  it("counts the depth of JSON text held in a string towards the limit", () => {
    const deepInside = JSON.stringify({ payload: nestedArrays(40) });
    expect(codes(assess(deepInside))).toEqual(["payload.shape.too_deep:critical"]);
  });

  it("flags more than 10,000 values, and accepts 10,000", () => {
    // The array itself is one value.
    expect(assess(JSON.stringify(new Array(9_999).fill(1))).findings).toEqual([]);
    expect(codes(assess(JSON.stringify(new Array(10_000).fill(1))))).toEqual(["payload.shape.too_many_nodes:critical"]);
    const keyed = Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`k${i}`, i]));
    expect(codes(assess(JSON.stringify(keyed)))).toEqual(["payload.shape.too_many_nodes:critical"]);
  });

  it("flags arguments over the size limit without reading them", () => {
    const big = JSON.stringify({ text: "a".repeat(DEFAULT_PAYLOAD_LIMITS.maxBytes) });
    expect(codes(assess(big))).toEqual(["payload.shape.too_large:critical"]);
    // Multi-byte characters count in UTF-8 bytes.
    const wide = JSON.stringify({ text: "é".repeat(DEFAULT_PAYLOAD_LIMITS.maxBytes / 2) });
    expect(codes(assess(wide))).toEqual(["payload.shape.too_large:critical"]);
  });

  it("takes a configurable size limit", () => {
    const limits = { ...DEFAULT_PAYLOAD_LIMITS, maxBytes: 64 };
    expect(codes(assess(JSON.stringify({ text: "x".repeat(100) }), limits))).toEqual([
      "payload.shape.too_large:critical",
    ]);
    expect(assess(JSON.stringify({ text: "x" }), limits).findings).toEqual([]);
  });
});

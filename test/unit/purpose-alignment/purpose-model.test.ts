import { describe, expect, it } from "vitest";
import type { AgentRegistration } from "@mandate/contracts";
import { BoundedLru } from "@mandate/validator/purpose-alignment/bounded-lru";
import { buildPurposeModel } from "@mandate/validator/purpose-alignment/purpose-model";

const registration: AgentRegistration = {
  agent_id: "expense-checker",
  owner: "finance-ops",
  purpose: "Check employee expense claims against the travel and expense policy before reimbursement.",
  examples: ["check a hotel receipt against the nightly limit", "approve a taxi claim within policy"],
  counter_examples: ["reimburse a claim without a receipt"],
  scope: {
    tools: [
      { name: "GetExpenseClaim", description: "Fetch an expense claim with its receipts", operations: ["read"] },
      { name: "SetClaimStatus", description: "Approve or reject an expense claim", operations: ["update"] },
    ],
    resource_patterns: [],
    destination_patterns: [],
    data_classes: ["financial"],
    rate_limit_per_minute: 60,
    max_payload_bytes: null,
  },
  keys: [],
  version: 7,
  retired: false,
  registered_at: 1_700_000_000_000,
};

describe("buildPurposeModel", () => {
  it("precomputes one unit vector per statement and per tool", () => {
    const model = buildPurposeModel(registration);
    expect(model.registrationVersion).toBe(7);
    expect(model.examples.count).toBe(2);
    expect(model.counterExamples.count).toBe(1);
    expect([...model.tools.keys()]).toEqual(["getexpenseclaim", "setclaimstatus"]);
    expect(Math.hypot(...model.purpose)).toBeCloseTo(1, 5);
    expect(Math.hypot(...(model.tools.get("setclaimstatus")?.vector ?? []))).toBeCloseTo(1, 5);
  });

  it("knows the words of its purpose, examples and tools, but not of its counter-examples", () => {
    const model = buildPurposeModel(registration);
    expect(model.knownTokens.has("reimbursement")).toBe(true);
    expect(model.knownTokens.has("taxi")).toBe(true);
    expect(model.knownTokens.has("receipts")).toBe(true);
    expect(model.knownTokens.has("without")).toBe(false);
  });

  it("knows its registered operations and packs every tool's vector for ranking against a task", () => {
    const model = buildPurposeModel(registration);
    expect(model.knownTokens.has("update")).toBe(true);
    expect(model.toolRows.count).toBe(2);
    expect(model.toolRows.texts).toEqual(["GetExpenseClaim", "SetClaimStatus"]);
    expect(Array.from(model.toolRows.rows.subarray(0, 3))).toEqual(
      Array.from(model.tools.get("getexpenseclaim")?.vector.subarray(0, 3) ?? []),
    );
  });

  it("marks each counter-example with its words no in-purpose text uses", () => {
    const model = buildPurposeModel(registration);
    // "reimburse a claim without a receipt": `claim` and `receipt` are in purpose, `without …` is negated.
    expect(model.counterExampleMarks).toHaveLength(1);
    expect([...(model.counterExampleMarks[0] ?? [])]).toEqual(["reimburs"]);
  });

  it("stays small", () => {
    const model = buildPurposeModel(registration);
    console.log(`PurposeModel for a 2-tool registration: ≈ ${model.bytes} bytes`);
    expect(model.bytes).toBeLessThan(64 * 1024);
  });
});

describe("BoundedLru", () => {
  it("evicts the least recently used entry past its capacity", () => {
    const cache = new BoundedLru<string, number>(2);
    cache.set("a", 1);
    cache.set("b", 2);
    expect(cache.get("a")).toBe(1);
    cache.set("c", 3);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBe(1);
    expect(cache.size).toBe(2);
  });
});

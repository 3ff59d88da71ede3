import { describe, expect, it } from "vitest";
import { acceptPolicySet } from "@mandate/validator/scope-policy/accept-policy-set";
import { readArgumentVocabulary } from "@mandate/validator/scope-policy/argument-vocabulary";
import { statefulIsAuthorized, type Context } from "@mandate/validator/scope-policy/cedar-wasm";
import {
  compileEffectivePolicySet,
  INVOKE,
  type EffectivePolicySet,
} from "@mandate/validator/scope-policy/effective-policy-set";
import type { EvaluationRequest } from "@mandate/validator/scope-policy/policy-evaluator";
import { SCHEMA } from "./scope-fixtures.js";

/**
 * The JavaScript policy evaluator against cedar-wasm, on the same requests: wherever the evaluator
 * answers, Cedar must answer the same satisfied policies and report no error. The policies use every
 * construct the evaluator implements and are accepted as in production (strict schema validation);
 * the requests are generated from a fixed seed over the schema's types, with values chosen near the
 * policies' boundaries.
 */
const BATTERY = [
  `context.tool_in_scope && !context.operation_in_scope`,
  `context.rate_per_minute > 10 || context.payload_bytes <= 100`,
  `context.rate_per_minute + context.payload_bytes >= 1000`,
  `context.payload_bytes * 3 - context.rate_per_minute < 50`,
  `-context.drift_score < -500`,
  `context.tool like "wire*"`,
  `context.tool like "*_*"`,
  `context.tool like "a\\*b"`,
  `context.tool like "*😀*"`,
  `context has resource && context.resource like "invoices/*/2026"`,
  `context has destination && context.destination == "api.bank.example"`,
  `context.arguments has amount && context.arguments.amount > 10000`,
  `context.arguments has payee && context.arguments.payee != "ACME"`,
  `context.arguments has recursive && context.arguments.recursive`,
  `context.first_seen.contains("arguments.payee")`,
  `context.data_classes_found.containsAny(["credentials", "pii"])`,
  `principal.data_classes.containsAll(context.data_classes_found)`,
  `context.argument_errors.isEmpty()`,
  `principal has rate_limit_per_minute && context.rate_per_minute > principal.rate_limit_per_minute`,
  `principal has max_payload_bytes && context.payload_bytes >= principal.max_payload_bytes`,
  `principal in Team::"finance"`,
  `resource in [Tool::"wire_transfer", Tool::"read_file"]`,
  `(if context.tool_in_scope then context.payload_score else context.drift_score) > 500`,
  `context.session == { session_id: "s-1", has_task: true }`,
  `context.session.has_task && principal.tools.contains(context.tool)`,
  `principal.owner == "finance" && principal.registration_version >= 2`,
  `[context.tool, context.operation].contains("delete")`,
  `principal is Agent in Team::"support"`,
  `resource is Tool && resource == Tool::"read_file"`,
  `context.alignment_score <= 300 && context.session.session_id != "s-2"`,
];

const SCOPED = [
  `permit (principal is Agent in Team::"support", action in [Action::"invoke"], resource == Tool::"wire_transfer");`,
  `permit (principal in Team::"finance", action == Action::"invoke", resource in Tool::"read_file");`,
  `permit (principal is Agent in Team::"finance", action, resource is Tool in Tool::"read_file");`,
];

function policyText(): string {
  const conditions = BATTERY.map(
    (condition, i) =>
      `@id("c${i}") @reason("scope.test") @message("m")\npermit (principal, action, resource) when { ${condition} };`,
  );
  const unless = `@id("unless") @reason("scope.test") @message("m")\nforbid (principal, action, resource) unless { context.argument_errors.isEmpty() };`;
  const scoped = SCOPED.map((policy, i) => `@id("s${i}") @reason("scope.test") @message("m")\n${policy}`);
  return [...conditions, unless, ...scoped].join("\n\n");
}

function compile(policies: string): EffectivePolicySet {
  const accepted = acceptPolicySet({ id: "battery", version: 1, team: null, policies }, SCHEMA);
  if (!accepted.ok) throw new Error(accepted.errors.join("\n"));
  return compileEffectivePolicySet(
    `evaluator-test-${Math.random()}`,
    "battery@1",
    [accepted.set],
    readArgumentVocabulary(SCHEMA),
    "javascript-first",
  );
}

/** A small seeded generator (mulberry32), so every run sees the same requests. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STRINGS = [
  "",
  "wire_transfer",
  "read_file",
  "delete",
  "a*b",
  "ab",
  "axb",
  "wire",
  "x😀y",
  "ünï",
  "ACME",
  "s-1",
  "s-2",
];
const LONGS = [0, 1, 2, 10, 11, 99, 100, 101, 300, 500, 501, 999, 1000, 10_000, 10_001, 2 ** 40, 2 ** 53 - 1];
const SETS = ["credentials", "pii", "financial", "arguments.payee", "tool", "amount"];

function generateRequest(next: () => number): EvaluationRequest {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const subset = (items: readonly string[]) => items.filter(() => next() < 0.3);
  const long = () => (next() < 0.9 ? pick(LONGS.slice(0, -2)) : pick(LONGS));
  const bool = () => next() < 0.5;
  const args: Record<string, unknown> = {};
  if (bool()) args.amount = long();
  if (bool()) args.payee = pick(STRINGS);
  if (bool()) args.recursive = bool();
  const context: Context = {
    tool: pick(STRINGS),
    operation: pick(STRINGS),
    tool_in_scope: bool(),
    operation_in_scope: bool(),
    resource_in_scope: bool(),
    destination_in_scope: bool(),
    rate_per_minute: long(),
    payload_bytes: long(),
    arguments: args as Context,
    argument_errors: next() < 0.2 ? ["amount"] : [],
    payload_score: long() % 1001,
    alignment_score: long() % 1001,
    drift_score: long() % 1001,
    data_classes_found: subset(SETS),
    first_seen: subset(SETS),
    session: { session_id: pick(["s-1", "s-2"]), has_task: bool() },
  };
  if (bool()) context.resource = pick(["invoices/7/2026", "invoices/2026", "invoices//2026", "x"]);
  if (bool()) context.destination = pick(["api.bank.example", "evil.example"]);
  const attrs: Record<string, unknown> = {
    owner: pick(["finance", "support"]),
    registration_version: pick([1, 2, 3]),
    tools: subset(STRINGS),
    data_classes: subset(SETS),
  };
  if (bool()) attrs.rate_limit_per_minute = pick([10, 100]);
  if (bool()) attrs.max_payload_bytes = pick([100, 1000]);
  const principal = { type: "Agent", id: `agent-${Math.floor(next() * 5)}` };
  return {
    principal,
    action: INVOKE,
    resource: { type: "Tool", id: pick(STRINGS) },
    context,
    entities: [{ uid: principal, attrs: attrs as Context, parents: [{ type: "Team", id: attrs.owner as string }] }],
  };
}

describe("the JavaScript policy evaluator", () => {
  it("answers as cedar-wasm does wherever it answers, over every construct it implements", () => {
    const effective = compile(policyText());
    expect(effective.evaluator).toBeDefined();
    const next = random(20261122);
    const satisfiedCount = new Map<string, number>();
    let answered = 0;
    const requests = 3_000;
    for (let n = 0; n < requests; n += 1) {
      const request = generateRequest(next);
      const ours = effective.evaluator!.satisfied(request);
      if (ours === undefined) continue;
      answered += 1;
      const cedar = statefulIsAuthorized({ ...request, preparsedPolicySetId: effective.cedarId });
      if (cedar.type !== "success") throw new Error(JSON.stringify(cedar.errors));
      expect({ request, errors: cedar.response.diagnostics.errors }).toEqual({ request, errors: [] });
      expect({ request, satisfied: [...ours].sort() }).toEqual({
        request,
        satisfied: [...cedar.response.diagnostics.reason].sort(),
      });
      for (const id of ours) satisfiedCount.set(id, (satisfiedCount.get(id) ?? 0) + 1);
    }
    // It answers most requests itself; the rest (arithmetic beyond 2^53) go to Cedar.
    expect(answered).toBeGreaterThan(requests * 0.6);
    expect(answered).toBeLessThan(requests);
    // Every policy was both satisfied and not satisfied somewhere, so each comparison meant something.
    for (const policy of effective.policies) {
      const count = satisfiedCount.get(policy.qualifiedId) ?? 0;
      expect({ policy: policy.qualifiedId, satisfiedSometimes: count > 0 }).toEqual({
        policy: policy.qualifiedId,
        satisfiedSometimes: true,
      });
      expect({ policy: policy.qualifiedId, notAlways: count < answered }).toEqual({
        policy: policy.qualifiedId,
        notAlways: true,
      });
    }
  });

  it("leaves to Cedar a set using an extension function, and a request it cannot be sure of", () => {
    const withIp = compile(
      `@id("loopback") @reason("scope.test") @message("m")\nforbid (principal, action, resource) when { context.tool_in_scope && ip("127.0.0.1").isLoopback() };`,
    );
    expect(withIp.evaluator).toBeUndefined();

    const overflow = compile(
      `@id("big") @reason("scope.test") @message("m")\nforbid (principal, action, resource) when { context.payload_bytes * 1000000000 > 5 };`,
    );
    const request = generateRequest(random(1));
    request.context.payload_bytes = 2 ** 40;
    expect(overflow.evaluator!.satisfied(request)).toBeUndefined();
    request.context.payload_bytes = 7;
    expect(overflow.evaluator!.satisfied(request)).toEqual(["battery/big"]);
    // A context value Cedar would read differently (beyond 2^53, or an entity escape) goes to Cedar too.
    request.context.rate_per_minute = 2 ** 60;
    expect(overflow.evaluator!.satisfied(request)).toBeUndefined();
    request.context.rate_per_minute = { __entity: { type: "Tool", id: "x" } } as unknown as number;
    expect(overflow.evaluator!.satisfied(request)).toBeUndefined();
  });
});

import { describe, expect, it } from "vitest";
import { policyToJson } from "@mandate/validator/scope-policy/cedar-wasm";
import {
  collectReferences,
  emptyReferences,
  type PolicyReferences,
} from "@mandate/validator/scope-policy/policy-references";
import { codes, defaultStore, registration, request } from "./scope-fixtures.js";

function referencesOf(...policies: string[]): PolicyReferences {
  const references = emptyReferences();
  for (const text of policies) {
    const converted = policyToJson(text);
    if (converted.type !== "success") throw new Error(text);
    collectReferences(converted.json, references);
  }
  return references;
}

describe("policy references", () => {
  it("collect attribute names read with `.` and `has`, through any operator", () => {
    const references = referencesOf(
      `forbid (principal, action, resource) when {
        context.arguments has amount && (if context.tool_in_scope then context.arguments.amount else 0) > principal.rate_limit_per_minute
      } unless { [context.session.has_task].contains(true) || { k: context.drift_score }.k > 5 || context has first_seen };`,
    );
    expect([...references.names].sort()).toEqual([
      "amount",
      "arguments",
      "drift_score",
      "first_seen",
      "has_task",
      "k",
      "rate_limit_per_minute",
      "session",
      "tool_in_scope",
    ]);
    expect(references.wholeContext).toBe(false);
    expect(references.wholeArguments).toBe(false);
  });

  it("notice `context` or `context.arguments` used as a whole value", () => {
    expect(referencesOf(`permit (principal, action, resource) when { context == {} };`).wholeContext).toBe(true);
    const whole = referencesOf(`forbid (principal, action, resource) when { context.arguments == { amount: 1 } };`);
    expect(whole.wholeArguments).toBe(true);
    expect(whole.wholeContext).toBe(false);
  });

  it("notice any `in`, which is the only way a policy sees the principal's parents", () => {
    expect(
      referencesOf(`permit (principal, action == Action::"invoke", resource) when { context.tool_in_scope };`).ancestry,
    ).toBe(false);
    for (const policy of [
      `permit (principal in Team::"finance", action, resource);`,
      `permit (principal is Agent in Team::"finance", action, resource);`,
      `permit (principal, action in [Action::"invoke"], resource);`,
      `permit (principal, action, resource) when { principal in Team::"finance" };`,
      `permit (principal, action, resource) when { context.tool_in_scope || (principal is Agent in Team::"finance") };`,
      `permit (principal, action, resource) unless { [principal].contains(principal) && !(principal in [Team::"x"]) };`,
    ]) {
      expect(referencesOf(policy).ancestry, policy).toBe(true);
    }
  });

  it("decide a team-membership policy the same with or without other policies using `in`", () => {
    const store = defaultStore();
    const applied = store.apply({
      id: "team-finance",
      version: 1,
      team: "finance",
      policies: `@id("finance_members_only") @reason("scope.not_member") @message("Only finance agents may pay.")
        forbid (principal, action, resource) when { context.tool == "wire_transfer" && !(principal in Team::"finance") };`,
    });
    expect(applied).toEqual({ ok: true });
    // Registered under finance, so a member: the forbid does not fire.
    expect(store.evaluate(registration(), request()).outcome).toBe("allow");
    // The same policy set shared by every team reaches an agent of another team, which is no member.
    const shared = defaultStore();
    shared.apply({
      id: "members",
      version: 1,
      team: null,
      policies: `@id("finance_members_only") @reason("scope.not_member") @message("Only finance agents may pay.")
        forbid (principal, action, resource) when { context.tool == "wire_transfer" && !(principal in Team::"finance") };`,
    });
    expect(shared.evaluate(registration(), request()).outcome).toBe("allow");
    expect(codes(shared.evaluate(registration({}, { owner: "support", version: 2 }), request()))).toEqual([
      "scope.not_member",
    ]);
  });

  it("decide an action scope as written; the schema declares `invoke` only, so it always matches", () => {
    const store = defaultStore();
    const applied = store.apply({
      id: "team-finance",
      version: 1,
      team: "finance",
      policies: `@id("wires_reviewed") @reason("scope.wire_review") @message("Wires are reviewed.") @review("true")
        forbid (principal, action == Action::"invoke", resource) when { context.tool == "wire_transfer" };
        @id("deletes_refused") @reason("scope.delete") @message("No deletes.")
        forbid (principal, action in [Action::"invoke"], resource) when { context.operation == "delete" };`,
    });
    expect(applied).toEqual({ ok: true });
    expect(codes(store.evaluate(registration(), request()))).toEqual(["scope.wire_review"]);
    expect(codes(store.evaluate(registration(), request({ tool: "read_file", operation: "delete" })))).toEqual([
      "scope.delete",
    ]);
    expect(codes(store.evaluate(registration(), request({ tool: "read_file", operation: "read" })))).toEqual([
      "scope.in_scope",
    ]);
    const other = store.apply({
      id: "team-other",
      version: 1,
      team: "finance",
      policies: `@id("other") @reason("scope.other") @message("x") forbid (principal, action == Action::"approve", resource);`,
    });
    expect(other.ok).toBe(false);
  });

  it("send a policy comparing a whole record all of that record", () => {
    const store = defaultStore();
    const applied = store.apply({
      id: "team-finance",
      version: 1,
      team: "finance",
      policies: `@id("task_less_session") @reason("scope.no_task") @message("Sessions without a task may not act.")
        forbid (principal, action, resource) when { context.session == { session_id: "sess-1", has_task: false } };`,
    });
    expect(applied).toEqual({ ok: true });
    expect(store.evaluate(registration(), request({ session_task: null })).outcome).toBe("forbid");
    expect(store.evaluate(registration(), request()).outcome).toBe("allow");
  });
});

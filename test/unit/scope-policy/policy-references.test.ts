import { describe, expect, it } from "vitest";
import { policyToJson } from "../../../services/validator/src/scope-policy/cedar-wasm.js";
import {
  collectReferences,
  emptyReferences,
  type PolicyReferences,
} from "../../../services/validator/src/scope-policy/policy-references.js";
import { defaultStore, registration, request } from "./scope-fixtures.js";

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

import { describe, expect, it } from "vitest";
import { PolicyStore, readDefaultPolicySet, POLICY_EVALUATIONS } from "@mandate/validator/scope-policy/index";
import { SCHEMA, codes, defaultStore, registration, request } from "./scope-fixtures.js";

// Every case holds for both evaluators: the JavaScript one (with cedar-wasm behind it) and cedar-wasm alone.
describe.each(POLICY_EVALUATIONS)("evaluated %s", (evaluation) => {
  const WIRE_LIMIT = (limit: number): string => `
  @id("wire_limit")
  @reason("scope.amount_over_limit")
  @message("The wire is above the team's limit.")
  forbid (principal, action == Action::"invoke", resource == Tool::"wire_transfer")
  when { context.arguments has amount && context.arguments.amount > ${limit} };`;

  const wire = (amount: number) => request({ arguments_json: JSON.stringify({ amount }) });

  describe("PolicyStore.apply", () => {
    it("refuses a policy naming an attribute the schema lacks, with Cedar's message, and keeps the version in force", () => {
      const store = defaultStore(evaluation);
      expect(store.apply({ id: "team-finance", version: 1, team: "finance", policies: WIRE_LIMIT(10_000) })).toEqual({
        ok: true,
      });
      const refused = store.apply({
        id: "team-finance",
        version: 2,
        team: "finance",
        policies: `${WIRE_LIMIT(100)}
  @id("typo") @reason("scope.typo") @message("A typo.")
  forbid (principal, action, resource) when { context.amount > 5 };`,
      });
      expect(refused.ok).toBe(false);
      if (refused.ok) return;
      expect(refused.errors).toHaveLength(1);
      expect(refused.errors[0]).toContain("for policy `team-finance/typo`, attribute `amount` in context");
      expect(refused.errors[0]).toContain("at 8:47 `context.amount`");

      expect(store.versionFor(registration())).toBe("default@1+team-finance@1");
      expect(store.evaluate(registration(), wire(5_000)).outcome).toBe("allow");
      expect(store.evaluate(registration(), wire(50_000)).outcome).toBe("forbid");
    });

    it("refuses text that does not parse, pointing at the place", () => {
      const refused = defaultStore(evaluation).apply({
        id: "team-finance",
        version: 1,
        team: "finance",
        policies: `@id("broken") @reason("scope.x") @message("m")\nforbid (principal, action, resource) when { context.tool == };`,
      });
      expect(refused.ok).toBe(false);
      if (refused.ok) return;
      expect(refused.errors[0]).toMatch(/^unexpected token `}`/);
      expect(refused.errors[0]).toContain("at 2:61");
    });

    it("refuses a policy that can never fire, as reading an undeclared argument makes it", () => {
      const refused = defaultStore(evaluation).apply({
        id: "team-finance",
        version: 1,
        team: "finance",
        policies: `@id("iban") @reason("scope.iban") @message("m")
          forbid (principal, action, resource) when { context.arguments has iban && context.arguments.iban == "X" };`,
      });
      expect(refused.ok).toBe(false);
      if (refused.ok) return;
      expect(refused.errors[0]).toContain("policy is impossible");
    });

    it("refuses policies without their annotations, naming each problem", () => {
      const refused = defaultStore(evaluation).apply({
        id: "team-finance",
        version: 1,
        team: "finance",
        policies: `
  forbid (principal, action, resource) when { context.rate_per_minute > 10 };
  @id("bad") @reason("rate too high") @review("yes")
  forbid (principal, action, resource) when { context.rate_per_minute > 10 };
  @id("reviewed_permit") @reason("scope.ok") @message("ok") @review("true")
  permit (principal, action, resource);
  @id("bad") @reason("scope.dup") @message("Duplicate id.")
  forbid (principal, action, resource);`,
      });
      expect(refused.ok).toBe(false);
      if (refused.ok) return;
      expect(refused.errors).toEqual([
        expect.stringContaining("a policy has no @id annotation"),
        expect.stringContaining('policy "bad": @reason must be a reason code'),
        'policy "bad": @message must be a non-empty sentence',
        'policy "bad": @review must be "true" or "false" (got "yes")',
        'policy "reviewed_permit": @review("true") only applies to forbid policies',
      ]);
    });

    it("reports a duplicate @id", () => {
      const refused = defaultStore(evaluation).apply({
        id: "team-finance",
        version: 1,
        team: "finance",
        policies: `${WIRE_LIMIT(1)}${WIRE_LIMIT(2)}`,
      });
      expect(refused).toEqual({ ok: false, errors: ['@id("wire_limit") is used by more than one policy'] });
    });

    it("refuses templates and malformed set envelopes", () => {
      const store = defaultStore(evaluation);
      const template = store.apply({
        id: "team-finance",
        version: 1,
        team: "finance",
        policies: `@id("t") @reason("scope.t") @message("m") permit (principal == ?principal, action, resource);`,
      });
      expect(template.ok).toBe(false);
      const envelope = store.apply({ id: "", version: -1, team: "", mode: "loud" as "shadow", policies: "" });
      expect(envelope.ok).toBe(false);
      if (envelope.ok) return;
      expect(envelope.errors).toHaveLength(4);
    });

    it("never rolls a set back: older versions are refused, the same version again is a no-op", () => {
      const store = defaultStore(evaluation);
      store.apply({ id: "team-finance", version: 3, team: "finance", policies: WIRE_LIMIT(10_000) });
      expect(store.apply({ id: "team-finance", version: 2, team: "finance", policies: WIRE_LIMIT(1) })).toEqual({
        ok: false,
        errors: ["set team-finance@2 is older than team-finance@3 in force"],
      });
      expect(store.apply({ id: "team-finance", version: 3, team: "finance", policies: WIRE_LIMIT(10_000) })).toEqual({
        ok: true,
      });
      expect(store.apply({ id: "team-finance", version: 3, team: "finance", policies: WIRE_LIMIT(1) }).ok).toBe(false);
      expect(store.evaluate(registration(), wire(5_000)).outcome).toBe("allow");
    });

    it("puts a new version in force at once", () => {
      const store = defaultStore(evaluation);
      store.apply({ id: "team-finance", version: 1, team: "finance", policies: WIRE_LIMIT(10_000) });
      expect(store.evaluate(registration(), wire(5_000)).outcome).toBe("allow");
      store.apply({ id: "team-finance", version: 2, team: "finance", policies: WIRE_LIMIT(1_000) });
      const assessment = store.evaluate(registration(), wire(5_000));
      expect(assessment.outcome).toBe("forbid");
      expect(assessment.policyVersion).toBe("default@1+team-finance@2");
    });
  });

  describe("team policy sets", () => {
    it("apply only to agents their team owns", () => {
      const store = defaultStore(evaluation);
      store.apply({ id: "team-finance", version: 2, team: "finance", policies: WIRE_LIMIT(1_000) });
      const finance = registration();
      const ops = registration({}, { agent_id: "agent-ops", owner: "ops" });
      expect(codes(store.evaluate(finance, wire(5_000)))).toEqual(["scope.amount_over_limit"]);
      expect(store.evaluate(ops, wire(5_000)).outcome).toBe("allow");
      expect(store.versionFor(finance)).toBe("default@1+team-finance@2");
      expect(store.versionFor(ops)).toBe("default@1");
    });

    it("follow an agent whose registration moves it to another team", () => {
      const store = defaultStore(evaluation);
      store.apply({ id: "team-finance", version: 1, team: "finance", policies: WIRE_LIMIT(1_000) });
      expect(store.evaluate(registration({}, { owner: "ops", version: 1 }), wire(5_000)).outcome).toBe("allow");
      expect(store.evaluate(registration({}, { owner: "finance", version: 2 }), wire(5_000)).outcome).toBe("forbid");
    });

    it("let a replacement default set take over from the shipped one", () => {
      const store = defaultStore(evaluation);
      const shipped = readDefaultPolicySet();
      const stricter = `${shipped.policies}
  @id("no_wires") @reason("scope.no_wires") @message("Wires are paused.")
  forbid (principal, action, resource == Tool::"wire_transfer");`;
      expect(store.apply({ ...shipped, version: 2, policies: stricter })).toEqual({ ok: true });
      expect(codes(store.evaluate(registration(), request()))).toEqual(["scope.no_wires"]);
      expect(store.versionFor(registration())).toBe("default@2");
    });
  });

  describe("evaluation", () => {
    it("is deterministic: the same action, registration and versions give the same assessment", () => {
      const build = (): PolicyStore => {
        const store = defaultStore(evaluation);
        store.apply({ id: "team-finance", version: 1, team: "finance", policies: WIRE_LIMIT(1_000) });
        return store;
      };
      const noisy = request(
        {
          operation: "cancel",
          resource: "payroll/x",
          destination: "x.evil.example",
          arguments_json: '{"amount": 5000}',
        },
        { ratePerMinute: 99, payloadBytes: 9_999 },
      );
      const first = build().evaluate(registration(), noisy);
      expect(codes(first)).toEqual([
        "scope.operation_not_allowed",
        "scope.resource_out_of_scope",
        "scope.destination_out_of_scope",
        "scope.rate_over_limit",
        "scope.payload_over_max_bytes",
        "scope.amount_over_limit",
      ]);
      const again = build();
      for (let round = 0; round < 50; round += 1) expect(again.evaluate(registration(), noisy)).toEqual(first);
    });

    it("fails closed, without throwing, on strings Cedar's JSON reader would choke on", () => {
      const store = defaultStore(evaluation);
      const assessment = store.evaluate(
        registration(),
        request({ tool: "wire_transfer\ud800", destination: "\udfffx" }),
      );
      expect(assessment.outcome).toBe("forbid");
      expect(codes(assessment)).toEqual(["scope.tool_not_registered", "scope.destination_out_of_scope"]);
    });

    it("rejects everything, saying why, before any policy set is applied", () => {
      const assessment = new PolicyStore(SCHEMA, evaluation).evaluate(registration(), request());
      expect(assessment.outcome).toBe("forbid");
      expect(assessment.policyVersion).toBe("none");
      expect(codes(assessment)).toEqual(["scope.not_permitted"]);
    });
  });
});

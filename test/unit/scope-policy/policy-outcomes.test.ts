import { describe, expect, it } from "vitest";
import { PolicyStore, POLICY_EVALUATIONS } from "@mandate/validator/scope-policy/index";
import { SCHEMA, codes, defaultStore, registration, request } from "./scope-fixtures.js";

// Every case holds for both evaluators: the JavaScript one (with cedar-wasm behind it) and cedar-wasm alone.
describe.each(POLICY_EVALUATIONS)("evaluated %s", (evaluation) => {
  const FINANCE_POLICIES = `
  @id("wire_over_limit")
  @reason("scope.amount_over_limit")
  @message("Wire transfers above 10,000 need a different channel.")
  forbid (principal, action == Action::"invoke", resource == Tool::"wire_transfer")
  when { context.arguments has amount && context.arguments.amount > 10000 };

  @id("wire_to_new_payee")
  @reason("scope.new_payee")
  @message("A wire to a payee this agent has never paid is held for review.")
  @review("true")
  forbid (principal, action == Action::"invoke", resource == Tool::"wire_transfer")
  when { context.first_seen.contains("arguments.payee") };

  @id("credentials_leaving")
  @reason("scope.credentials_leaving")
  @message("Credentials may not leave for an outside destination.")
  forbid (principal, action == Action::"invoke", resource)
  when { context has destination && context.data_classes_found.contains("credentials") };
  `;

  function financeStore(extra = ""): PolicyStore {
    const store = defaultStore(evaluation);
    const applied = store.apply({
      id: "team-finance",
      version: 1,
      team: "finance",
      policies: FINANCE_POLICIES + extra,
    });
    if (!applied.ok) throw new Error(applied.errors.join("\n"));
    return store;
  }

  describe("policy outcomes", () => {
    it("forbid on an argument constraint", () => {
      const store = financeStore();
      const big = store.evaluate(registration(), request({ arguments_json: JSON.stringify({ amount: 25_000 }) }));
      expect(big.outcome).toBe("forbid");
      expect(codes(big)).toEqual(["scope.amount_over_limit"]);
      const small = store.evaluate(registration(), request({ arguments_json: JSON.stringify({ amount: 9_999 }) }));
      expect(small.outcome).toBe("allow");
    });

    it("read a fractional amount rounded up, so a limit cannot be slipped under by a cent", () => {
      const store = financeStore();
      const over = store.evaluate(registration(), request({ arguments_json: JSON.stringify({ amount: 10_000.01 }) }));
      expect(codes(over)).toEqual(["scope.amount_over_limit"]);
      const exact = store.evaluate(registration(), request({ arguments_json: JSON.stringify({ amount: 10_000.0 }) }));
      expect(exact.outcome).toBe("allow");
      const text = store.evaluate(registration(), request({ arguments_json: JSON.stringify({ amount: "25000.5" }) }));
      expect(codes(text)).toEqual(["scope.amount_over_limit"]);
    });

    it("route a review-annotated forbid to review", () => {
      const store = financeStore();
      const assessment = store.evaluate(registration(), request({}, { firstSeen: ["arguments.payee"] }));
      expect(assessment.outcome).toBe("review");
      expect(assessment.score).toBe(0.5);
      expect(assessment.reasons).toEqual([
        {
          axis: "scope",
          code: "scope.new_payee",
          message: "A wire to a payee this agent has never paid is held for review.",
          severity: "suspicious",
        },
      ]);
    });

    it("reject when a plain forbid applies alongside a review one, keeping both reasons", () => {
      const store = financeStore();
      const assessment = store.evaluate(
        registration(),
        request({ arguments_json: JSON.stringify({ amount: 50_000 }) }, { firstSeen: ["arguments.payee"] }),
      );
      expect(assessment.outcome).toBe("forbid");
      expect(assessment.reasons.map((reason) => [reason.code, reason.severity])).toEqual([
        ["scope.amount_over_limit", "critical"],
        ["scope.new_payee", "suspicious"],
      ]);
    });

    it("forbid a data class leaving for a destination", () => {
      const store = financeStore();
      const leaking = store.evaluate(registration(), request({}, { dataClassesFound: ["credentials"] }));
      expect(codes(leaking)).toEqual(["scope.credentials_leaving"]);
      const local = store.evaluate(
        registration(),
        request({ destination: null }, { dataClassesFound: ["credentials"] }),
      );
      expect(local.outcome).toBe("allow");
    });

    it("review an argument a policy reads but that arrived in a shape Cedar cannot hold", () => {
      const store = financeStore();
      for (const amount of ["lots", { value: 50_000 }, [50_000], 1e300, true]) {
        const assessment = store.evaluate(registration(), request({ arguments_json: JSON.stringify({ amount }) }));
        expect(assessment.outcome, JSON.stringify(amount)).toBe("review");
        expect(codes(assessment)).toEqual(["scope.argument_unrepresentable"]);
      }
    });

    it("does not review odd arguments no policy reads", () => {
      const assessment = defaultStore(evaluation).evaluate(
        registration(),
        request({ arguments_json: JSON.stringify({ amount: "lots" }) }),
      );
      expect(assessment.outcome).toBe("allow");
    });

    it("never lets a team permit approve what a default forbid rejects", () => {
      const store = defaultStore(evaluation);
      store.apply({
        id: "team-finance",
        version: 1,
        team: "finance",
        policies: `@id("anything") @reason("scope.team_permit") @message("The team allows anything.")
          permit (principal, action, resource);`,
      });
      expect(store.evaluate(registration(), request({ tool: "delete_database" })).outcome).toBe("forbid");
    });

    it("reject with scope.not_permitted when no policy permits", () => {
      const store = new PolicyStore(SCHEMA, evaluation);
      store.apply({
        id: "default",
        version: 1,
        team: null,
        policies: `@id("files_only") @reason("scope.in_scope") @message("Only files.")
          permit (principal, action, resource == Tool::"read_file");`,
      });
      const assessment = store.evaluate(registration(), request());
      expect(assessment.outcome).toBe("forbid");
      expect(assessment.reasons).toEqual([
        {
          axis: "scope",
          code: "scope.not_permitted",
          message: "No scope policy permits this action.",
          severity: "critical",
        },
      ]);
    });

    it("hold for review when a forbid cannot be evaluated, instead of skipping it as Cedar would", () => {
      const store = financeStore(`
  @id("weighted_payload")
  @reason("scope.weighted_payload")
  @message("A payload weighted by its risk is too heavy.")
  forbid (principal, action, resource)
  when { context.payload_bytes * 4611686018427387904 > 9000000000000000000 };`);
      // 2 × 2^62 overflows Cedar's 64-bit Long: the policy errors instead of being satisfied.
      const overflowing = store.evaluate(registration(), request({}, { payloadBytes: 2 }));
      expect(overflowing.outcome).toBe("review");
      expect(codes(overflowing)).toEqual(["scope.policy_error"]);
      expect(overflowing.reasons[0]?.message).toContain("team-finance/weighted_payload");
      expect(store.evaluate(registration(), request({}, { payloadBytes: 1 })).outcome).toBe("allow");
    });
  });

  describe("shadow policies", () => {
    const SHADOW = `
  @id("tighter_wire_limit")
  @reason("scope.amount_over_limit")
  @message("Candidate: wires above 1,000.")
  @shadow("true")
  forbid (principal, action == Action::"invoke", resource == Tool::"wire_transfer")
  when { context.arguments has amount && context.arguments.amount > 1000 };`;

    it("report what a shadow policy would do without changing the outcome", () => {
      const store = financeStore(SHADOW);
      const assessment = store.evaluate(registration(), request({ arguments_json: JSON.stringify({ amount: 5_000 }) }));
      expect(assessment.outcome).toBe("allow");
      expect(codes(assessment)).toEqual(["scope.in_scope"]);
      expect(assessment.shadow).toEqual([{ policyId: "team-finance/tighter_wire_limit", outcome: "forbid" }]);
      const quiet = store.evaluate(registration(), request({ arguments_json: JSON.stringify({ amount: 500 }) }));
      expect(quiet.shadow).toEqual([]);
    });

    it("leave a forbidden action forbidden when a shadow permit matches it", () => {
      const store = financeStore(`
  @id("allow_unregistered")
  @reason("scope.candidate_permit")
  @message("Candidate: permit anything.")
  @shadow("true")
  permit (principal, action, resource);`);
      const assessment = store.evaluate(registration(), request({ tool: "delete_database" }));
      expect(assessment.outcome).toBe("forbid");
      expect(codes(assessment)).toEqual(["scope.tool_not_registered"]);
      expect(assessment.shadow).toEqual([{ policyId: "team-finance/allow_unregistered", outcome: "allow" }]);
    });

    it("report a whole shadow-mode set without enforcing it or counting it in the version", () => {
      const store = financeStore();
      const applied = store.apply({
        id: "team-finance-candidate",
        version: 4,
        mode: "shadow",
        team: "finance",
        policies: `@id("review_all_wires") @reason("scope.candidate_review") @message("Candidate: review every wire.")
          @review("true")
          forbid (principal, action, resource == Tool::"wire_transfer");`,
      });
      expect(applied).toEqual({ ok: true });
      const assessment = store.evaluate(registration(), request());
      expect(assessment.outcome).toBe("allow");
      expect(assessment.policyVersion).toBe("default@1+team-finance@1");
      expect(assessment.shadow).toEqual([{ policyId: "team-finance-candidate/review_all_wires", outcome: "review" }]);
    });
  });
});

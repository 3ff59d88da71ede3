import { describe, expect, it } from "vitest";
import { codes, defaultStore, registration, request } from "./scope-fixtures.js";
import { POLICY_EVALUATIONS } from "@mandate/validator/scope-policy/index";

// Every case holds for both evaluators: the JavaScript one (with cedar-wasm behind it) and cedar-wasm alone.
describe.each(POLICY_EVALUATIONS)("evaluated %s", (evaluation) => {
  const store = defaultStore(evaluation);

  describe("default scope policies", () => {
    it("allow an in-scope action, explaining which policy permitted it", () => {
      const assessment = store.evaluate(registration(), request());
      expect(assessment).toEqual({
        outcome: "allow",
        score: 0,
        reasons: [
          {
            axis: "scope",
            code: "scope.in_scope",
            message: "The tool and operation are registered for this agent.",
            severity: "info",
          },
        ],
        policyVersion: "default@1",
        shadow: [],
      });
    });

    it("forbid a tool that is not registered, with that one reason", () => {
      const assessment = store.evaluate(registration(), request({ tool: "delete_database", operation: "drop" }));
      expect(assessment.outcome).toBe("forbid");
      expect(assessment.score).toBe(1);
      expect(codes(assessment)).toEqual(["scope.tool_not_registered"]);
      expect(assessment.reasons[0]?.severity).toBe("critical");
    });

    it("forbid an operation the tool does not list, and allow any operation when it lists none", () => {
      expect(codes(store.evaluate(registration(), request({ operation: "cancel" })))).toEqual([
        "scope.operation_not_allowed",
      ]);
      const reading = store.evaluate(
        registration(),
        request({ tool: "read_file", operation: "anything", resource: "files/2024/invoices/1.pdf", destination: null }),
      );
      expect(reading.outcome).toBe("allow");
    });

    it("forbid a resource outside the resource patterns", () => {
      expect(codes(store.evaluate(registration(), request({ resource: "payroll/ceo" })))).toEqual([
        "scope.resource_out_of_scope",
      ]);
      expect(store.evaluate(registration(), request({ resource: "accounts/acme/sub" })).outcome).toBe("allow");
    });

    it("treat a missing resource, or no resource patterns, as in scope", () => {
      expect(store.evaluate(registration(), request({ resource: null })).outcome).toBe("allow");
      const anyResource = registration({ resource_patterns: [] }, { agent_id: "agent-any-resource" });
      expect(store.evaluate(anyResource, request({ resource: "payroll/ceo" })).outcome).toBe("allow");
    });

    it("forbid a destination outside the destination patterns, comparing hosts case-insensitively", () => {
      expect(codes(store.evaluate(registration(), request({ destination: "paste.evil.example" })))).toEqual([
        "scope.destination_out_of_scope",
      ]);
      expect(store.evaluate(registration(), request({ destination: "EU.Bank.Example." })).outcome).toBe("allow");
      expect(store.evaluate(registration(), request({ destination: null })).outcome).toBe("allow");
    });

    it("treat every destination as out of scope when the agent registered none", () => {
      const local = registration({ destination_patterns: [] }, { agent_id: "agent-local" });
      expect(codes(store.evaluate(local, request()))).toEqual(["scope.destination_out_of_scope"]);
      expect(store.evaluate(local, request({ destination: null })).outcome).toBe("allow");
    });

    it("forbid going over the rate limit, counting this action, and never without a limit", () => {
      expect(store.evaluate(registration(), request({}, { ratePerMinute: 60 })).outcome).toBe("allow");
      expect(codes(store.evaluate(registration(), request({}, { ratePerMinute: 61 })))).toEqual([
        "scope.rate_over_limit",
      ]);
      const unlimited = registration({ rate_limit_per_minute: null }, { agent_id: "agent-unlimited" });
      expect(store.evaluate(unlimited, request({}, { ratePerMinute: 100_000 })).outcome).toBe("allow");
    });

    it("fail closed on a rate nobody could count", () => {
      expect(codes(store.evaluate(registration(), request({}, { ratePerMinute: Number.NaN })))).toEqual([
        "scope.rate_over_limit",
      ]);
    });

    it("forbid a payload over the maximum size, measuring UTF-8 bytes when the caller did not", () => {
      expect(store.evaluate(registration(), request({}, { payloadBytes: 2048 })).outcome).toBe("allow");
      expect(codes(store.evaluate(registration(), request({}, { payloadBytes: 2049 })))).toEqual([
        "scope.payload_over_max_bytes",
      ]);
      // 700 three-byte characters: 700 UTF-16 units but 2,100 bytes plus the JSON around them.
      const wide = JSON.stringify({ memo: "€".repeat(700) });
      expect(codes(store.evaluate(registration(), request({ arguments_json: wide })))).toEqual([
        "scope.payload_over_max_bytes",
      ]);
      const unbounded = registration({ max_payload_bytes: null }, { agent_id: "agent-unbounded" });
      expect(store.evaluate(unbounded, request({ arguments_json: wide })).outcome).toBe("allow");
    });

    it("report every forbid that applies, in the order the policies are written", () => {
      const assessment = store.evaluate(
        registration(),
        request(
          { operation: "cancel", resource: "payroll/ceo", destination: "paste.evil.example" },
          { ratePerMinute: 500 },
        ),
      );
      expect(codes(assessment)).toEqual([
        "scope.operation_not_allowed",
        "scope.resource_out_of_scope",
        "scope.destination_out_of_scope",
        "scope.rate_over_limit",
      ]);
    });
  });
});

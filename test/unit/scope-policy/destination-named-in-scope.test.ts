import { describe, expect, it } from "vitest";
import { RegistrationScope } from "@mandate/validator/scope-policy/registration-scope";
import { testRegistration } from "../../support/registrations.js";

describe("destinations the registration names", () => {
  const withPatterns = (patterns: string[]) => {
    const registration = testRegistration("bot");
    return new RegistrationScope({ ...registration, scope: { ...registration.scope, destination_patterns: patterns } });
  };

  it("a catch-all puts every destination in scope but names none", () => {
    const scope = withPatterns(["*"]);
    expect(scope.destinationInScope("127.0.0.1")).toBe(true);
    expect(scope.destinationNamedInScope("127.0.0.1")).toBe(false);
  });

  it("a pattern with a host in it names the destinations it covers", () => {
    const scope = withPatterns(["*", "*.acme.internal"]);
    expect(scope.destinationNamedInScope("db.acme.internal")).toBe(true);
    expect(scope.destinationNamedInScope("collector.example")).toBe(false);
    expect(scope.destinationNamedInScope(null)).toBe(false);
  });
});

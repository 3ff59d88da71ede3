import { describe, expect, it } from "vitest";
import { codes, defaultStore, registration, request } from "./scope-fixtures.js";

// A guard against losing cedar-wasm's preparsed path (a stateless Cedar call costs ~2.5 ms here), not
// a benchmark: shared CI machines are too noisy for a tight bound.
describe("evaluation cost", () => {
  it("stays well below the cost of re-parsing the policies on every call", () => {
    const store = defaultStore("cedar-wasm");
    const agent = registration();
    const actions = Array.from({ length: 64 }, (_, index) =>
      request({ arguments_json: JSON.stringify({ amount: index * 100, payee: "acme" }) }, { ratePerMinute: index }),
    );
    for (let index = 0; index < 2_000; index += 1) store.evaluate(agent, actions[index % actions.length]!);
    const calls = 5_000;
    const started = performance.now();
    for (let index = 0; index < calls; index += 1) store.evaluate(agent, actions[index % actions.length]!);
    const microseconds = ((performance.now() - started) * 1000) / calls;
    console.info(`scope evaluate: ${microseconds.toFixed(1)} µs per call (default set)`);
    expect(codes(store.evaluate(agent, actions[0]!))).toEqual(["scope.in_scope"]);
    expect(microseconds).toBeLessThan(2_000);
  });
});

import { describe, expect, it } from "vitest";
import { flattenArguments, type ArgumentSpec } from "@mandate/validator/scope-policy/flatten-arguments";

const SPECS: ArgumentSpec[] = [
  { name: "amount", type: "Long" },
  { name: "payee", type: "String" },
  { name: "force", type: "Bool" },
];

describe("flattening arguments for Cedar", () => {
  it("keeps declared scalars of the declared type and ignores everything undeclared", () => {
    expect(
      flattenArguments({ amount: 5, payee: "acme", force: false, memo: "x", nested: { amount: 9 } }, SPECS),
    ).toEqual({
      values: { amount: 5, payee: "acme", force: false },
      errors: [],
    });
  });

  it("rounds fractional numbers and decimal text up, so upper limits stay exact", () => {
    expect(flattenArguments({ amount: 10.01 }, SPECS).values).toEqual({ amount: 11 });
    expect(flattenArguments({ amount: -1.5 }, SPECS).values).toEqual({ amount: -1 });
    expect(flattenArguments({ amount: "100.25" }, SPECS).values).toEqual({ amount: 101 });
    expect(flattenArguments({ amount: "-3" }, SPECS).values).toEqual({ amount: -3 });
  });

  it("names what cannot be held faithfully instead of dropping it silently", () => {
    for (const amount of ["12 EUR", "1e3", "", { v: 1 }, [1], true, 2 ** 60, Number.POSITIVE_INFINITY]) {
      expect(flattenArguments({ amount }, SPECS), JSON.stringify(amount)).toEqual({ values: {}, errors: ["amount"] });
    }
    expect(flattenArguments({ payee: { iban: "X" } }, SPECS).errors).toEqual(["payee"]);
    expect(flattenArguments({ force: "true" }, SPECS).errors).toEqual(["force"]);
  });

  it("writes numbers and booleans sent for a string as their JSON text", () => {
    expect(flattenArguments({ payee: 12345 }, SPECS).values).toEqual({ payee: "12345" });
    expect(flattenArguments({ payee: false }, SPECS).values).toEqual({ payee: "false" });
  });

  it("treats null as absent and a non-object as no arguments", () => {
    expect(flattenArguments({ amount: null }, SPECS)).toEqual({ values: {}, errors: [] });
    for (const args of [null, undefined, 42, "text", [1, 2]]) {
      expect(flattenArguments(args, SPECS)).toEqual({ values: {}, errors: [] });
    }
  });

  it("reads only own properties", () => {
    const inherited = Object.create({ amount: 50_000 }) as object;
    expect(flattenArguments(inherited, SPECS)).toEqual({ values: {}, errors: [] });
  });
});

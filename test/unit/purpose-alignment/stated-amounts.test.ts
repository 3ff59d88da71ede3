import { describe, expect, it } from "vitest";
import { isStatedAmount, moneyArgument, statedAmounts } from "@mandate/validator/purpose-alignment/stated-amounts";

describe("stated amounts", () => {
  it("reads amounts of money written with a sign, a code or a word", () => {
    expect(statedAmounts("Refund the $1,250.50 charge, not the 300 EUR fee.")).toEqual([1250.5, 300]);
    expect(statedAmounts("Budget is €12k; the quote said 40 dollars")).toEqual([12_000, 40]);
    expect(statedAmounts("Move OPP-77 to stage 3 by 2026-01-12")).toEqual([]);
    expect(statedAmounts("Your bill of EUR 84.20 is due; USD 2k was paid")).toEqual([84.2, 2000]);
  });

  it("takes numbers under money keys only", () => {
    expect(moneyArgument(["amount"], 99.5)).toBe(99.5);
    expect(moneyArgument(["total", "price"], "$1,200.00")).toBe(1200);
    expect(moneyArgument(["quantity"], 3)).toBeNull();
    expect(moneyArgument(["amount"], "about ninety")).toBeNull();
  });

  it("reads an amount however it is written: an exponent, a grouped string, an object", () => {
    expect(moneyArgument(["amount"], 5e3)).toBe(5000);
    expect(moneyArgument(["amount"], "5e3")).toBe(5000);
    expect(moneyArgument(["amount"], "$5k")).toBe(5000);
    expect(moneyArgument(["amount"], { value: 5000, currency: "USD" })).toBe(5000);
    expect(moneyArgument(["total"], { units: 5000, nanos: 0 })).toBe(5000);
  });

  it("compares to the cent", () => {
    expect(isStatedAmount(2640, [2640.0])).toBe(true);
    expect(isStatedAmount(26_400, [2640])).toBe(false);
    expect(isStatedAmount(19.99, [19.991])).toBe(true);
  });
});

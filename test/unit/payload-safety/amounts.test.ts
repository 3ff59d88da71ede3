import { describe, expect, it } from "vitest";
import { readAmount } from "@mandate/validator/payload-safety/index";

describe("readAmount", () => {
  it.each([
    ["a number", 5000, 5000, null],
    ["an exponent", 5e3, 5000, null],
    ["an exponent in a string", "5e3", 5000, null],
    ["grouped thousands", "5,000.00", 5000, null],
    ["a European amount", "5.000,00 €", 5000, "EUR"],
    ["a dollar amount with a multiplier", "$5k", 5000, "USD"],
    ["a code before the number", "USD 5000", 5000, "USD"],
    ["a code after the number", "1.2m eur", 1_200_000, "EUR"],
    ["an object", { value: 5000, currency: "usd" }, 5000, "USD"],
    ["an object holding a string", { amount: "5,000", currency_code: "GBP" }, 5000, "GBP"],
    ["a nested object", { amount: { value: "4999.5" }, currency: "CHF" }, 4999.5, "CHF"],
    ["Google's Money type", { units: "5000", nanos: 500_000_000, currencyCode: "USD" }, 5000.5, "USD"],
    ["a negative amount", "-250", -250, null],
  ])("reads %s", (_, value, amount, currency) => {
    expect(readAmount(value)).toEqual({ value: amount, currency });
  });

  it.each([
    ["prose", "about five thousand"],
    ["an id", "INV-5000"],
    ["a date", "2024-05-20"],
    ["infinity", Number.POSITIVE_INFINITY],
    ["an object without an amount", { note: "5000" }],
    ["a deeply nested amount", { amount: { amount: { amount: 5 } } }],
    ["a long string", "5".repeat(100)],
  ])("reads no amount in %s", (_, value) => {
    expect(readAmount(value)).toBeNull();
  });
});

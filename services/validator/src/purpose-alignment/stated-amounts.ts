import { readAmount } from "../payload-safety/amounts.js";

/**
 * Amounts of money: the "how much" of an action, as recipients are its "who". When a task
 * states an amount ("pay the $2,640.00 invoice"), an action paying, refunding or booking a
 * different one has departed from it, whatever its tool and words. A task that states none
 * leaves amounts to the agent's lookups, and nothing is judged.
 */

/** A currency sign or code before or after a number, with an optional `k` / `m` multiplier. */
const MONEY_IN_TEXT =
  /(?:[$€£]\s?(\d[\d,]*(?:\.\d+)?)(?:\s?([km])\b)?|\b(\d[\d,]*(?:\.\d+)?)(?:\s?([km]))?\s?(?:usd|eur|gbp|chf|dollars?|euros?|pounds?)\b|\b(?:usd|eur|gbp|chf)\s?(\d[\d,]*(?:\.\d+)?)(?:\s?([km])\b)?)/gi;

/** Words of argument keys (`amount`, `refund_amount`, `totalPrice`) under which a number is money. */
const MONEY_KEY_WORDS = new Set("amount amounts total price cost fee charge".split(" "));

const MULTIPLIERS: Readonly<Record<string, number>> = { k: 1_000, m: 1_000_000 };

function parseNumber(digits: string, multiplier: string | undefined): number {
  return Number(digits.replace(/,/g, "")) * (MULTIPLIERS[(multiplier ?? "").toLowerCase()] ?? 1);
}

/** The amounts of money a piece of prose states, in its own units. */
export function statedAmounts(prose: string): number[] {
  const amounts: number[] = [];
  for (const match of prose.matchAll(MONEY_IN_TEXT)) {
    const digits = match[1] ?? match[3] ?? match[5];
    if (digits === undefined) continue;
    const amount = parseNumber(digits, match[2] ?? match[4] ?? match[6]);
    if (Number.isFinite(amount)) amounts.push(amount);
  }
  return amounts;
}

/** Whether a key with these words holds money. */
export function namesMoney(keyWords: readonly string[]): boolean {
  return keyWords.some((w) => MONEY_KEY_WORDS.has(w));
}

/**
 * An argument value under a money key, as a number; null for anything else. Amounts are read however
 * they are written (`5000`, `5e3`, `"5,000.00"`, `"$5k"`, `"5.000,00 €"`, `{"value": 5000, "currency":
 * "USD"}`, `{"units": 5000, "nanos": 0}`), so a different way of writing one is not a way around the
 * task's amount.
 */
export function moneyArgument(keyWords: readonly string[], value: unknown): number | null {
  if (!namesMoney(keyWords)) return null;
  return readAmount(value)?.value ?? null;
}

/** The key an amount is known by among a session's values (`amount:2640`), to the cent. */
export const amountKey = (amount: number): string => `amount:${Math.round(amount * 100) / 100}`;

/** Whether `amount` is one of `stated`, to the cent. */
export function isStatedAmount(amount: number, stated: readonly number[]): boolean {
  return stated.some((s) => Math.abs(s - amount) < 0.005);
}

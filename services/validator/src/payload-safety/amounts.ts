/*
 * Amounts of money as agents write them: 5000, 5e3, "5,000.00", "$5k", "5.000,00 €", "USD 5000", or an
 * object such as {"value": 5000, "currency": "USD"} or {"units": "5000", "nanos": 0}. A limit that reads
 * only plain numbers is blind to every other form, so scope checks and provenance read them through
 * this one function.
 */

export interface ReadAmount {
  value: number;
  /** ISO code when the amount names one ("$" is read as USD, "€" as EUR, "£" as GBP), else null. */
  currency: string | null;
}

/** Longer strings are prose, not an amount. */
const MAX_AMOUNT_TEXT = 48;
const AMOUNT_TEXT =
  /^([A-Za-z]{3})?\s{0,2}([$€£¥])?\s{0,2}([+-])?\s{0,2}(\d[\d,.' ]{0,30}|\.\d{1,12})(?:[eE]([+-]?\d{1,3}))?\s{0,2}([kKmM]|bn|BN)?\s{0,2}([$€£¥])?\s{0,2}([A-Za-z]{3})?$/;
/** Codes read next to a number; other three letters ("INV-5000") make the text an identifier. */
const CURRENCY_CODES = new Set(
  "USD EUR GBP JPY CHF CAD AUD NZD CNY HKD SGD INR KRW SEK NOK DKK PLN CZK HUF BRL MXN ZAR TRY RUB AED SAR ILS BTC ETH USDT USDC".split(
    " ",
  ),
);
const SIGN_CURRENCY: Readonly<Record<string, string>> = { $: "USD", "€": "EUR", "£": "GBP", "¥": "JPY" };
const MULTIPLIER: Readonly<Record<string, number>> = { k: 1e3, m: 1e6, bn: 1e9 };
const VALUE_KEYS = ["value", "amount", "units", "total", "sum", "amount_value"] as const;
const CURRENCY_KEYS = ["currency", "currency_code", "currencyCode", "ccy"] as const;
/** Nested {"amount": {"value": …}} is read this deep; more is not an amount. */
const MAX_OBJECT_DEPTH = 2;
const NANOS_PER_UNIT = 1e9;
const PLAIN_DECIMAL = /^\d+(?:\.\d+)?$|^\.\d+$/;
const DIGIT_SPACING = /[' ]/g;

/** The amount a value states, or null when it states none. */
export function readAmount(value: unknown): ReadAmount | null {
  return readAt(value, 0);
}

function readAt(value: unknown, depth: number): ReadAmount | null {
  if (typeof value === "number") return Number.isFinite(value) ? { value, currency: null } : null;
  if (typeof value === "string") return readAmountText(value);
  if (value === null || typeof value !== "object" || Array.isArray(value) || depth >= MAX_OBJECT_DEPTH) return null;
  const record = value as Record<string, unknown>;
  let amount: ReadAmount | null = null;
  for (const key of VALUE_KEYS) {
    if (!Object.hasOwn(record, key)) continue;
    amount = readAt(record[key], depth + 1);
    if (amount !== null) break;
  }
  if (amount === null) return null;
  // Google's Money type splits the amount into whole units and billionths.
  const nanos = record["nanos"];
  if (typeof nanos === "number" && Number.isFinite(nanos))
    amount = { ...amount, value: amount.value + nanos / NANOS_PER_UNIT };
  for (const key of CURRENCY_KEYS) {
    const currency = record[key];
    if (typeof currency === "string" && currency.trim() !== "")
      return { ...amount, currency: currency.trim().toUpperCase() };
  }
  return amount;
}

function readAmountText(text: string): ReadAmount | null {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed.length > MAX_AMOUNT_TEXT) return null;
  const match = AMOUNT_TEXT.exec(trimmed);
  if (match === null) return null;
  const [, codeBefore, signBefore, sign, digits = "", exponent, multiplier, signAfter, codeAfter] = match;
  const number = parseDigits(digits.replace(DIGIT_SPACING, ""));
  if (number === null) return null;
  let value = number * 10 ** Number(exponent ?? 0) * (MULTIPLIER[(multiplier ?? "").toLowerCase()] ?? 1);
  if (sign === "-") value = -value;
  if (!Number.isFinite(value)) return null;
  const symbol = signBefore ?? signAfter;
  const code = (codeBefore ?? codeAfter)?.toUpperCase();
  if (code !== undefined && !CURRENCY_CODES.has(code)) return null;
  return { value, currency: code !== undefined ? code : symbol !== undefined ? (SIGN_CURRENCY[symbol] ?? null) : null };
}

/**
 * "5,000.00" and "5.000,00" are both five thousand: the last separator is the decimal one unless it is
 * followed by exactly three digits and is the only kind used ("5,000" and "5.000" are thousands).
 */
function parseDigits(digits: string): number | null {
  const lastComma = digits.lastIndexOf(",");
  const lastDot = digits.lastIndexOf(".");
  let normal: string;
  if (lastComma === -1 && lastDot === -1) normal = digits;
  else if (lastComma !== -1 && lastDot !== -1) {
    normal = lastDot > lastComma ? digits.replaceAll(",", "") : digits.replaceAll(".", "").replace(",", ".");
  } else {
    const separator = lastComma !== -1 ? "," : ".";
    const groups = digits.split(separator);
    const grouping =
      groups.length > 1 && groups.slice(1).every((g) => g.length === 3) && (groups.length > 2 || separator === ",");
    normal = grouping ? groups.join("") : separator === "," && groups.length === 2 ? groups.join(".") : digits;
  }
  if (!PLAIN_DECIMAL.test(normal)) return null;
  return Number(normal);
}

import type { CedarValueJson } from "./cedar-wasm.js";
import type { ArgumentType } from "./argument-vocabulary.js";
import { toCedarString } from "./cedar-string.js";

export interface ArgumentSpec {
  name: string;
  type: ArgumentType;
}

export interface FlattenedArguments {
  values: Record<string, CedarValueJson>;
  /** Names present in the call whose value has no faithful form in the declared type. */
  errors: string[];
}

// Digits with an optional fraction: no nested quantifiers, so matching is linear.
const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;

/**
 * Converts the top-level arguments the policies read into the types the schema declares for
 * them. Absent and null arguments are left out; so are unconvertible ones, which are named in
 * `errors` so a policy can refuse to be blind to them. Conversions are documented with the
 * `Arguments` type in schemas/cedar/mandate.cedarschema.
 */
export function flattenArguments(args: unknown, specs: readonly ArgumentSpec[]): FlattenedArguments {
  const values: Record<string, CedarValueJson> = {};
  const errors: string[] = [];
  if (typeof args !== "object" || args === null || Array.isArray(args)) return { values, errors };
  const record = args as Record<string, unknown>;
  for (const { name, type } of specs) {
    if (!Object.hasOwn(record, name)) continue;
    const raw = record[name];
    if (raw === null || raw === undefined) continue;
    const value = convert(raw, type);
    if (value === undefined) errors.push(name);
    else values[name] = value;
  }
  return { values, errors };
}

function convert(raw: unknown, type: ArgumentType): CedarValueJson | undefined {
  switch (type) {
    case "Long":
      return toLong(raw);
    case "String":
      if (typeof raw === "string") return toCedarString(raw);
      if (typeof raw === "number" || typeof raw === "boolean") return String(raw);
      return undefined;
    case "Bool":
      return typeof raw === "boolean" ? raw : undefined;
  }
}

/**
 * Rounded up, so that for any integer limit N, `value > N` and `value >= N` in a policy are exactly
 * as true as they are for the real number. Beyond ±2^53 a JavaScript number is no longer an exact
 * integer (and 1e21 serialises as "1e+21", which Cedar rejects), so those are errors.
 */
function toLong(raw: unknown): number | undefined {
  let number: number;
  if (typeof raw === "number") number = raw;
  else if (typeof raw === "string" && DECIMAL_TEXT.test(raw)) number = Number(raw);
  else return undefined;
  if (!Number.isFinite(number)) return undefined;
  const rounded = Math.ceil(number);
  return Number.isSafeInteger(rounded) ? rounded : undefined;
}

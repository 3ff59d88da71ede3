import type { Expr, PolicyJson } from "./cedar-wasm.js";

/**
 * The attribute names a group of policies can read, found by walking their JSON form. Evaluation
 * sends Cedar only these (each context attribute costs about 1.7 µs to convert inside the
 * wasm module), which leaves every decision unchanged: a policy cannot observe an attribute it
 * never names. Names are collected regardless of which record they are read from, which can only
 * over-include.
 */
export interface PolicyReferences {
  names: Set<string>;
  /** `context` used as a whole value (compared, passed on): send all of it. */
  wholeContext: boolean;
  /** `context.arguments` used as a whole value: send every argument. */
  wholeArguments: boolean;
  /**
   * An `in` anywhere (scope, `in` operator, `is … in`): some policy may ask about an entity's
   * ancestors, so the principal goes with its parents. Without one, parents cannot change a decision.
   */
  ancestry: boolean;
}

export function emptyReferences(): PolicyReferences {
  return { names: new Set(), wholeContext: false, wholeArguments: false, ancestry: false };
}

export function collectReferences(policy: PolicyJson, into: PolicyReferences): void {
  for (const scope of [policy.principal, policy.action, policy.resource]) {
    if (scope.op === "in" || (scope.op === "is" && "in" in scope)) into.ancestry = true;
  }
  for (const condition of policy.conditions) walk(condition.body, false, into);
}

/** `accessed`: this expression is the record an attribute is read from, not a value in its own right. */
function walk(expr: Expr, accessed: boolean, into: PolicyReferences): void {
  if ("Value" in expr || "Slot" in expr) return;
  if ("Var" in expr) {
    if (expr.Var === "context" && !accessed) into.wholeContext = true;
    return;
  }
  // Casts: the extension-call member of `Expr` has an index signature, so `in` cannot narrow; no
  // extension function is named "." or "has".
  if ("." in expr) {
    const { left, attr } = (expr as { ".": { left: Expr; attr: string } })["."];
    into.names.add(attr);
    if (attr === "arguments" && !accessed && isContext(left)) into.wholeArguments = true;
    walk(left, true, into);
    return;
  }
  if ("has" in expr) {
    const { left, attr } = (expr as { has: { left: Expr; attr: string | string[] } }).has;
    for (const name of Array.isArray(attr) ? attr : [attr]) into.names.add(name);
    walk(left, true, into);
    return;
  }
  if ("Record" in expr) {
    for (const value of Object.values(expr.Record)) walk(value, false, into);
    return;
  }
  if ("Set" in expr) {
    for (const item of expr.Set) walk(item, false, into);
    return;
  }
  // `x in y`, or `x is T in y`; the extension-call member's index signature again keeps `in` from narrowing.
  if ("in" in expr || ("is" in expr && (expr as { is: { in?: Expr } }).is.in !== undefined)) into.ancestry = true;
  for (const body of Object.values(expr) as unknown[]) walkOperands(body, into);
}

/** Operands of the remaining nodes: `{ arg }`, `{ left, right }`, `{ if, then, else }`, `is … in`, or a call's argument list. */
function walkOperands(body: unknown, into: PolicyReferences): void {
  if (Array.isArray(body)) {
    for (const item of body) walk(item as Expr, false, into);
    return;
  }
  if (typeof body !== "object" || body === null) return;
  const node = body as Record<string, unknown>;
  for (const key of ["arg", "left", "right", "if", "then", "else", "in"]) {
    const child = node[key];
    if (typeof child === "object" && child !== null) walk(child as Expr, false, into);
  }
}

function isContext(expr: Expr): boolean {
  return "Var" in expr && expr.Var === "context";
}

import type { CedarValueJson, Context, EntityJson, PolicyJson } from "./cedar-wasm.js";

/**
 * Evaluates accepted, schema-validated Cedar policies in JavaScript, for the common case, and says
 * when it cannot: then the caller asks Cedar (cedar-wasm) itself.
 *
 * Why: a cedar-wasm call costs 45–50 µs whatever the policies say, most of it converting the context
 * and entities from JSON inside the module; the decision's whole budget is 100 µs. Evaluating the
 * conditions here takes a few microseconds.
 *
 * How it stays Cedar: it only ever answers "these policies are satisfied" when that answer is certain
 * under Cedar's semantics, and gives up (returns undefined) otherwise, so every doubtful case is
 * Cedar's own answer:
 * - At compile time, a policy set using anything outside the subset below (extension functions such
 *   as `ip()` or `decimal()`, templates, tags) gets no evaluator at all.
 * - At run time, anything Cedar would report as an error — an attribute that is not there, a value of
 *   the wrong type, arithmetic beyond ±2^53 (Cedar's limit is 2^63, which JavaScript numbers cannot
 *   follow exactly), an entity that is not in the request — makes the whole request go to Cedar, so
 *   error messages and error handling are Cedar's.
 * Policies reaching here were validated against the schema in strict mode (acceptPolicySet), so
 * such cases are rare. A differential test compares this evaluator with cedar-wasm on generated
 * requests for policies using every supported construct.
 *
 * The subset: literals (booleans, integers, strings, entities, sets, records), the variables,
 * `.` and `has`, `==`, `!=`, `<`, `<=`, `>`, `>=`, `+`, `-`, `*`, unary `-`, `&&`, `||`, `!`,
 * `if then else`, `like`, `in`, `is`, `contains`, `containsAll`, `containsAny`, `isEmpty`; and in the
 * scope, `==`, `in` and `is … in`.
 */
export interface PolicyEvaluator {
  /** The ids of the satisfied policies, or undefined when only Cedar can answer this request. */
  satisfied(request: EvaluationRequest): string[] | undefined;
}

export interface EvaluationRequest {
  principal: { type: string; id: string };
  action: { type: string; id: string };
  resource: { type: string; id: string };
  context: Context;
  /** The entities of the request; at most the principal's, as the validator sends. */
  entities: EntityJson[];
}

/** Compiles the policies, by id; undefined when one of them uses something outside the subset. */
export function compilePolicyEvaluator(policies: Readonly<Record<string, PolicyJson>>): PolicyEvaluator | undefined {
  const compiled: Array<{ id: string; test: Condition }> = [];
  try {
    for (const [id, policy] of Object.entries(policies)) compiled.push({ id, test: compilePolicy(policy) });
  } catch (error) {
    if (error instanceof OutsideSubset) return undefined;
    throw error;
  }
  return {
    satisfied(request) {
      const ids: string[] = [];
      try {
        const scope = requestScope(request);
        if (scope === undefined) return undefined;
        for (const policy of compiled) if (policy.test(scope)) ids.push(policy.id);
      } catch (error) {
        if (error instanceof AskCedar) return undefined;
        throw error;
      }
      return ids;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Values

/** An entity reference. Sets are arrays; records are plain objects; Longs are safe integers. */
class EntityRef {
  constructor(
    readonly type: string,
    readonly id: string,
  ) {}
}

type Value = boolean | number | string | EntityRef | Value[] | { [attr: string]: Value };

interface Scope {
  principal: EntityRef;
  action: EntityRef;
  resource: EntityRef;
  context: Value;
  /** The one entity the request carries (the principal's), with its attributes and parents. */
  stored: { ref: EntityRef; attrs: Record<string, CedarValueJson>; parents: EntityRef[] } | undefined;
}

/** Thrown at compile time: the policy uses something this evaluator does not implement. */
class OutsideSubset extends Error {}

/** Thrown at run time: Cedar would report an error here (or might); Cedar answers the request. */
class AskCedar extends Error {}

const ASK_CEDAR = new AskCedar("ask Cedar");

function askCedar(): never {
  throw ASK_CEDAR;
}

function requestScope(request: EvaluationRequest): Scope | undefined {
  if (request.entities.length > 1) return undefined;
  const principal = new EntityRef(request.principal.type, request.principal.id);
  let stored: Scope["stored"];
  const [entity] = request.entities;
  if (entity !== undefined) {
    const uid = "__entity" in entity.uid ? entity.uid.__entity : entity.uid;
    if (uid.type !== principal.type || uid.id !== principal.id) return undefined;
    const parents: EntityRef[] = [];
    for (const parent of entity.parents) {
      const p = "__entity" in parent ? parent.__entity : parent;
      parents.push(new EntityRef(p.type, p.id));
    }
    stored = { ref: principal, attrs: (entity.attrs ?? {}) as Record<string, CedarValueJson>, parents };
  }
  return {
    principal,
    action: new EntityRef(request.action.type, request.action.id),
    resource: new EntityRef(request.resource.type, request.resource.id),
    context: fromRequestJson(request.context),
    stored,
  };
}

/**
 * A value read from the request's JSON (context or entity attributes): Cedar would read `__entity`
 * and `__extn` objects as entities and extension values, and a number beyond ±2^53 as an exact
 * Long; those go to Cedar.
 */
function fromRequestJson(json: unknown): Value {
  if (typeof json === "boolean" || typeof json === "string") return json;
  if (json instanceof EntityRef) return json;
  if (typeof json === "number") return Number.isSafeInteger(json) ? json : askCedar();
  if (Array.isArray(json)) return json.map(fromRequestJson);
  if (typeof json === "object" && json !== null) {
    if ("__entity" in json || "__extn" in json) askCedar();
    const record = newRecord();
    for (const [key, value] of Object.entries(json)) record[key] = fromRequestJson(value);
    return record;
  }
  return askCedar();
}

/** A record without a prototype, so that no attribute name (`__proto__`) is special. */
function newRecord(): Record<string, Value> {
  return Object.create(null) as Record<string, Value>;
}

function isRecord(value: Value): value is { [attr: string]: Value } {
  return typeof value === "object" && !Array.isArray(value) && !(value instanceof EntityRef);
}

function valueEquals(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a instanceof EntityRef) return b instanceof EntityRef && a.type === b.type && a.id === b.id;
  if (Array.isArray(a)) {
    return (
      Array.isArray(b) &&
      a.every((x) => b.some((y) => valueEquals(x, y))) &&
      b.every((y) => a.some((x) => valueEquals(x, y)))
    );
  }
  if (typeof a === "object" && isRecord(a)) {
    if (typeof b !== "object" || !isRecord(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => Object.hasOwn(b, key) && valueEquals(a[key]!, b[key]!));
  }
  return false;
}

function asBoolean(value: Value): boolean {
  return typeof value === "boolean" ? value : askCedar();
}

function asLong(value: Value): number {
  return typeof value === "number" ? value : askCedar();
}

function asSet(value: Value): Value[] {
  return Array.isArray(value) ? value : askCedar();
}

function asEntity(value: Value): EntityRef {
  return value instanceof EntityRef ? value : askCedar();
}

/** A Long result; beyond ±2^53 JavaScript cannot follow Cedar's 64-bit arithmetic exactly. */
function long(result: number): number {
  return Number.isSafeInteger(result) ? result : askCedar();
}

/** `entity in target`: the entity itself, or one of its ancestors (only the stored principal has any). */
function isIn(entity: EntityRef, target: Value, scope: Scope): boolean {
  const targets = Array.isArray(target) ? target.map(asEntity) : [asEntity(target)];
  const ancestors = scope.stored !== undefined && sameEntity(entity, scope.stored.ref) ? scope.stored.parents : [];
  return targets.some((t) => sameEntity(entity, t) || ancestors.some((a) => sameEntity(a, t)));
}

function sameEntity(a: EntityRef, b: EntityRef): boolean {
  return a.type === b.type && a.id === b.id;
}

/** The attributes of an entity; only the principal's are in the request, any other entity goes to Cedar. */
function attributesOf(entity: EntityRef, scope: Scope): Record<string, CedarValueJson> {
  return scope.stored !== undefined && sameEntity(entity, scope.stored.ref) ? scope.stored.attrs : askCedar();
}

// ---------------------------------------------------------------------------------------------
// Compilation

type Expression = (scope: Scope) => Value;
type Condition = (scope: Scope) => boolean;
type Est = Record<string, unknown>;

function compilePolicy(policy: PolicyJson): Condition {
  const tests: Condition[] = [
    compileScope(policy.principal as unknown as Est, (s) => s.principal),
    compileScope(policy.action as unknown as Est, (s) => s.action),
    compileScope(policy.resource as unknown as Est, (s) => s.resource),
  ];
  for (const condition of policy.conditions) {
    const body = compileExpression(condition.body as unknown as Est);
    tests.push(condition.kind === "when" ? (s) => asBoolean(body(s)) : (s) => !asBoolean(body(s)));
  }
  return (scope) => tests.every((test) => test(scope));
}

function compileScope(constraint: Est, variable: (scope: Scope) => EntityRef): Condition {
  switch (constraint.op) {
    case "All":
      return () => true;
    case "==": {
      const target = entityLiteral(constraint.entity);
      return (s) => sameEntity(variable(s), target);
    }
    case "in": {
      const targets: Value = Array.isArray(constraint.entities)
        ? constraint.entities.map(entityLiteral)
        : entityLiteral(constraint.entity);
      return (s) => isIn(variable(s), targets, s);
    }
    case "is": {
      const type = constraint.entity_type;
      if (typeof type !== "string") throw new OutsideSubset("is without a type");
      const within = constraint.in as Est | undefined;
      const target = within === undefined ? undefined : entityLiteral(within.entity);
      return (s) => variable(s).type === type && (target === undefined || isIn(variable(s), target, s));
    }
    default:
      throw new OutsideSubset(`scope constraint ${String(constraint.op)}`);
  }
}

function entityLiteral(json: unknown): EntityRef {
  if (typeof json !== "object" || json === null) throw new OutsideSubset("entity reference");
  const uid = ("__entity" in json ? json.__entity : json) as { type?: unknown; id?: unknown };
  if (typeof uid.type !== "string" || typeof uid.id !== "string") throw new OutsideSubset("entity reference");
  return new EntityRef(uid.type, uid.id);
}

/** A literal of the policy text; numbers beyond ±2^53 are Cedar's to handle. */
function literal(json: unknown): Value {
  if (typeof json === "boolean" || typeof json === "string") return json;
  if (typeof json === "number") {
    if (!Number.isSafeInteger(json)) throw new OutsideSubset("integer beyond 2^53");
    return json;
  }
  if (Array.isArray(json)) return json.map(literal);
  if (typeof json === "object" && json !== null) {
    if ("__entity" in json) return entityLiteral(json);
    if ("__extn" in json) throw new OutsideSubset("extension value");
    const record = newRecord();
    for (const [key, value] of Object.entries(json)) record[key] = literal(value);
    return record;
  }
  throw new OutsideSubset("literal");
}

function compileExpression(est: Est): Expression {
  const keys = Object.keys(est);
  if (keys.length !== 1) throw new OutsideSubset("expression shape");
  const kind = keys[0]!;
  const node = est[kind] as Est;
  const binary = (): [Expression, Expression] => [
    compileExpression(node.left as Est),
    compileExpression(node.right as Est),
  ];
  switch (kind) {
    case "Value": {
      const value = literal(node);
      return () => value;
    }
    case "Var":
      switch (node as unknown as string) {
        case "principal":
          return (s) => s.principal;
        case "action":
          return (s) => s.action;
        case "resource":
          return (s) => s.resource;
        case "context":
          return (s) => s.context;
        default:
          throw new OutsideSubset(`variable ${String(node)}`);
      }
    case "Set": {
      const items = (node as unknown as Est[]).map(compileExpression);
      return (s) => items.map((item) => item(s));
    }
    case "Record": {
      const fields = Object.entries(node).map(([key, value]) => [key, compileExpression(value as Est)] as const);
      return (s) => {
        const record = newRecord();
        for (const [key, field] of fields) record[key] = field(s);
        return record;
      };
    }
    case "!": {
      const arg = compileExpression(node.arg as Est);
      return (s) => !asBoolean(arg(s));
    }
    case "neg": {
      const arg = compileExpression(node.arg as Est);
      return (s) => long(-asLong(arg(s)));
    }
    case "isEmpty": {
      const arg = compileExpression(node.arg as Est);
      return (s) => asSet(arg(s)).length === 0;
    }
    case "&&": {
      const [left, right] = binary();
      return (s) => asBoolean(left(s)) && asBoolean(right(s));
    }
    case "||": {
      const [left, right] = binary();
      return (s) => asBoolean(left(s)) || asBoolean(right(s));
    }
    case "==": {
      const [left, right] = binary();
      return (s) => valueEquals(left(s), right(s));
    }
    case "!=": {
      const [left, right] = binary();
      return (s) => !valueEquals(left(s), right(s));
    }
    case "<": {
      const [left, right] = binary();
      return (s) => asLong(left(s)) < asLong(right(s));
    }
    case "<=": {
      const [left, right] = binary();
      return (s) => asLong(left(s)) <= asLong(right(s));
    }
    case ">": {
      const [left, right] = binary();
      return (s) => asLong(left(s)) > asLong(right(s));
    }
    case ">=": {
      const [left, right] = binary();
      return (s) => asLong(left(s)) >= asLong(right(s));
    }
    case "+": {
      const [left, right] = binary();
      return (s) => long(asLong(left(s)) + asLong(right(s)));
    }
    case "-": {
      const [left, right] = binary();
      return (s) => long(asLong(left(s)) - asLong(right(s)));
    }
    case "*": {
      const [left, right] = binary();
      return (s) => long(asLong(left(s)) * asLong(right(s)));
    }
    case "contains": {
      const [left, right] = binary();
      return (s) => {
        const set = asSet(left(s));
        const item = right(s);
        return set.some((x) => valueEquals(x, item));
      };
    }
    case "containsAll": {
      const [left, right] = binary();
      return (s) => {
        const set = asSet(left(s));
        return asSet(right(s)).every((y) => set.some((x) => valueEquals(x, y)));
      };
    }
    case "containsAny": {
      const [left, right] = binary();
      return (s) => {
        const set = asSet(left(s));
        return asSet(right(s)).some((y) => set.some((x) => valueEquals(x, y)));
      };
    }
    case "in": {
      const [left, right] = binary();
      return (s) => isIn(asEntity(left(s)), right(s), s);
    }
    case "if-then-else": {
      const test = compileExpression(node.if as Est);
      const then = compileExpression(node.then as Est);
      const otherwise = compileExpression(node.else as Est);
      return (s) => (asBoolean(test(s)) ? then(s) : otherwise(s));
    }
    case ".": {
      const left = compileExpression(node.left as Est);
      const attr = attributeName(node.attr);
      return (s) => {
        const target = left(s);
        if (target instanceof EntityRef) {
          const attrs = attributesOf(target, s);
          return Object.hasOwn(attrs, attr) ? fromRequestJson(attrs[attr]) : askCedar();
        }
        if (typeof target !== "object" || !isRecord(target)) return askCedar();
        return Object.hasOwn(target, attr) ? target[attr]! : askCedar();
      };
    }
    case "has": {
      const left = compileExpression(node.left as Est);
      const attr = attributeName(node.attr);
      return (s) => {
        const target = left(s);
        if (target instanceof EntityRef) return Object.hasOwn(attributesOf(target, s), attr);
        if (typeof target !== "object" || !isRecord(target)) return askCedar();
        return Object.hasOwn(target, attr);
      };
    }
    case "is": {
      const left = compileExpression(node.left as Est);
      const type = node.entity_type;
      if (typeof type !== "string") throw new OutsideSubset("is without a type");
      const within = node.in === undefined ? undefined : compileExpression(node.in as Est);
      return (s) => {
        const entity = asEntity(left(s));
        return entity.type === type && (within === undefined || isIn(entity, within(s), s));
      };
    }
    case "like": {
      const left = compileExpression(node.left as Est);
      const pattern = likePattern(node.pattern);
      return (s) => {
        const text = left(s);
        return typeof text === "string" ? matchesLike(text, pattern) : askCedar();
      };
    }
    default:
      // Extension functions (`ip`, `decimal`, `isInRange`, …), tags, slots and unknowns.
      throw new OutsideSubset(`expression ${kind}`);
  }
}

function attributeName(attr: unknown): string {
  if (typeof attr !== "string") throw new OutsideSubset("attribute path");
  return attr;
}

/** A `like` pattern, one character (code point) per element and null for each `*` wildcard. */
function likePattern(json: unknown): Array<string | null> {
  if (!Array.isArray(json)) throw new OutsideSubset("like pattern");
  return json.flatMap((part: unknown) => {
    if (part === "Wildcard") return [null];
    if (typeof part === "object" && part !== null && "Literal" in part && typeof part.Literal === "string") {
      return [...part.Literal];
    }
    throw new OutsideSubset("like pattern");
  });
}

/**
 * Glob matching with `*` as any run of characters, by the usual greedy scan that backtracks to the
 * last wildcard: at most text length × pattern length steps, with no regular expression.
 */
function matchesLike(text: string, pattern: ReadonlyArray<string | null>): boolean {
  let t = 0;
  let p = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    const wanted = pattern[p];
    if (p < pattern.length && wanted !== null && text.startsWith(wanted as string, t)) {
      t += (wanted as string).length;
      p += 1;
    } else if (p < pattern.length && wanted === null) {
      star = p;
      resume = t;
      p += 1;
    } else if (star !== -1) {
      p = star + 1;
      resume += 1;
      t = resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === null) p += 1;
  return p === pattern.length;
}

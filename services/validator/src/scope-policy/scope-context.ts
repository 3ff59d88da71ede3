import type { Context } from "./cedar-wasm.js";
import { toCedarString } from "./cedar-string.js";
import { flattenArguments, type ArgumentSpec, type FlattenedArguments } from "./flatten-arguments.js";
import { normalizeDestination, type RegistrationScope } from "./registration-scope.js";
import type { ScopeRequest } from "./scope-request.js";

/** The attributes of `InvokeContext` in schemas/cedar/mandate.cedarschema, which a test holds in step. */
export const CONTEXT_FIELDS = [
  "tool",
  "operation",
  "resource",
  "destination",
  "tool_in_scope",
  "operation_in_scope",
  "resource_in_scope",
  "destination_in_scope",
  "rate_per_minute",
  "payload_bytes",
  "arguments",
  "argument_errors",
  "payload_score",
  "alignment_score",
  "drift_score",
  "data_classes_found",
  "first_seen",
  "session",
] as const;

export type ContextField = (typeof CONTEXT_FIELDS)[number];

/** Which parts of the context an effective policy set can read; everything else is never built. */
export interface ContextPlan {
  fields: readonly ContextField[];
  arguments: readonly ArgumentSpec[];
}

/** Builds the Cedar context for one action, holding only the fields the plan names. */
export function buildScopeContext(scope: RegistrationScope, request: ScopeRequest, plan: ContextPlan): Context {
  const { action } = request;
  const context: Context = {};
  let flattened: FlattenedArguments | undefined;
  const flatten = (): FlattenedArguments =>
    (flattened ??= flattenArguments(plan.arguments.length > 0 ? readArguments(request) : undefined, plan.arguments));

  for (const field of plan.fields) {
    switch (field) {
      case "tool":
        context.tool = toCedarString(action.tool);
        break;
      case "operation":
        context.operation = toCedarString(action.operation);
        break;
      case "resource":
        if (action.resource !== null) context.resource = toCedarString(action.resource);
        break;
      case "destination":
        if (action.destination !== null) context.destination = toCedarString(normalizeDestination(action.destination));
        break;
      case "tool_in_scope":
        context.tool_in_scope = scope.toolInScope(action.tool);
        break;
      case "operation_in_scope":
        context.operation_in_scope = scope.operationInScope(action.tool, action.operation);
        break;
      case "resource_in_scope":
        context.resource_in_scope = scope.resourceInScope(action.resource);
        break;
      case "destination_in_scope":
        context.destination_in_scope = scope.destinationInScope(action.destination);
        break;
      case "rate_per_minute":
        context.rate_per_minute = toCount(request.ratePerMinute);
        break;
      case "payload_bytes":
        context.payload_bytes = toCount(request.payloadBytes ?? Buffer.byteLength(action.arguments_json, "utf8"));
        break;
      case "arguments":
        context.arguments = flatten().values;
        break;
      case "argument_errors":
        context.argument_errors = flatten().errors.map(toCedarString);
        break;
      case "payload_score":
        context.payload_score = toPermille(request.scores.payload, 1000);
        break;
      case "alignment_score":
        context.alignment_score = toPermille(request.scores.alignment, 0);
        break;
      case "drift_score":
        context.drift_score = toPermille(request.scores.drift, 1000);
        break;
      case "data_classes_found":
        context.data_classes_found = request.dataClassesFound.map(toCedarString);
        break;
      case "first_seen":
        context.first_seen = request.firstSeen.map(toCedarString);
        break;
      case "session":
        context.session = {
          session_id: toCedarString(action.session_id),
          has_task: action.session_task !== null && action.session_task.trim() !== "",
        };
        break;
    }
  }
  return context;
}

function readArguments(request: ScopeRequest): unknown {
  if (request.arguments !== undefined) return request.arguments;
  try {
    return JSON.parse(request.action.arguments_json);
  } catch {
    // Undecodable arguments are the intake's and payload axis's finding; here they hold no values.
    return undefined;
  }
}

/** A count that is not a finite number is taken as too many: the checks on it must fail closed. */
function toCount(value: number): number {
  if (!Number.isFinite(value)) return Number.MAX_SAFE_INTEGER;
  return Math.min(Math.max(Math.floor(value), 0), Number.MAX_SAFE_INTEGER);
}

/** A score in [0, 1] as an integer 0..1000; a missing (NaN) score counts as the worst one. */
function toPermille(score: number, worst: number): number {
  if (Number.isNaN(score)) return worst;
  return Math.round(Math.min(Math.max(score, 0), 1) * 1000);
}

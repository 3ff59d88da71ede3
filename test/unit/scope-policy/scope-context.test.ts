import { describe, expect, it } from "vitest";
import { readArgumentVocabulary } from "@mandate/validator/scope-policy/argument-vocabulary";
import {
  checkParseContext,
  checkParseEntities,
  schemaToJsonWithResolvedTypes,
} from "@mandate/validator/scope-policy/cedar-wasm";
import { AGENT_ATTRIBUTES, RegistrationScope } from "@mandate/validator/scope-policy/registration-scope";
import { CONTEXT_FIELDS, buildScopeContext, type ContextPlan } from "@mandate/validator/scope-policy/scope-context";
import { SCHEMA, registration, request } from "./scope-fixtures.js";

const INVOKE = { type: "Action", id: "invoke" };
const FULL_PLAN: ContextPlan = {
  fields: CONTEXT_FIELDS,
  arguments: [...readArgumentVocabulary(SCHEMA)].map(([name, type]) => ({ name, type })),
};

function declared(): { context: string[]; agent: string[] } {
  const converted = schemaToJsonWithResolvedTypes(SCHEMA);
  if (converted.type !== "success") throw new Error("schema does not parse");
  const namespace = converted.json[""];
  const invoke = namespace?.commonTypes?.["InvokeContext"];
  const agent = namespace?.entityTypes["Agent"];
  if (
    !invoke ||
    !("attributes" in invoke) ||
    !agent ||
    !("shape" in agent) ||
    !agent.shape ||
    !("attributes" in agent.shape)
  ) {
    throw new Error("schema lacks InvokeContext or Agent");
  }
  return { context: Object.keys(invoke.attributes).sort(), agent: Object.keys(agent.shape.attributes).sort() };
}

describe("the Cedar context and entities", () => {
  it("name exactly the attributes the schema declares", () => {
    const schema = declared();
    expect([...CONTEXT_FIELDS].sort()).toEqual(schema.context);
    expect([...AGENT_ATTRIBUTES].sort()).toEqual(schema.agent);
  });

  it("conform to the schema when every field is built", () => {
    const scope = new RegistrationScope(registration());
    const full = request(
      {
        arguments_json: JSON.stringify({
          amount: 12.5,
          currency: "EUR",
          payee: 12345,
          recursive: true,
          force: "yes",
          nested: { a: 1 },
        }),
      },
      {
        dataClassesFound: ["financial"],
        firstSeen: ["destination", "arguments.payee"],
        scores: { payload: 0.42, alignment: 0.9, drift: Number.NaN },
      },
    );
    const context = buildScopeContext(scope, full, FULL_PLAN);
    expect(checkParseContext({ context, schema: SCHEMA, action: INVOKE })).toEqual({ type: "success" });
    expect(context).toMatchObject({
      arguments: { amount: 13, currency: "EUR", payee: "12345", recursive: true },
      argument_errors: ["force"],
      payload_score: 420,
      alignment_score: 900,
      drift_score: 1000,
      session: { session_id: "sess-1", has_task: true },
    });
    const entities = scope.entitiesFor({ attributes: AGENT_ATTRIBUTES, parents: true });
    expect(checkParseEntities({ entities, schema: SCHEMA })).toEqual({ type: "success" });
  });

  it("conform when optional facts are missing", () => {
    const scope = new RegistrationScope(registration({ rate_limit_per_minute: null, max_payload_bytes: null }));
    const bare = request({ resource: null, destination: null, session_task: null, arguments_json: "not json" });
    const context = buildScopeContext(scope, bare, FULL_PLAN);
    expect(context).not.toHaveProperty("resource");
    expect(context).not.toHaveProperty("destination");
    expect(context["arguments"]).toEqual({});
    expect(checkParseContext({ context, schema: SCHEMA, action: INVOKE })).toEqual({ type: "success" });
    expect(
      checkParseEntities({
        entities: scope.entitiesFor({ attributes: AGENT_ATTRIBUTES, parents: true }),
        schema: SCHEMA,
      }),
    ).toEqual({
      type: "success",
    });
  });

  it("hold only the fields a plan names, and build the entity once per plan", () => {
    const scope = new RegistrationScope(registration());
    const context = buildScopeContext(scope, request(), {
      fields: ["tool_in_scope", "arguments"],
      arguments: [{ name: "amount", type: "Long" }],
    });
    expect(context).toEqual({ tool_in_scope: true, arguments: { amount: 1200 } });
    const plan = { attributes: ["rate_limit_per_minute"] as const, parents: false };
    const entities = scope.entitiesFor(plan);
    expect(entities[0]?.attrs).toEqual({ rate_limit_per_minute: 60 });
    expect(entities[0]?.parents).toEqual([]);
    expect(scope.entitiesFor(plan)).toBe(entities);
    expect(scope.entitiesFor({ ...plan, parents: true })[0]?.parents).toEqual([{ type: "Team", id: "finance" }]);
  });

  it("prefer the arguments the caller already parsed", () => {
    const scope = new RegistrationScope(registration());
    const context = buildScopeContext(scope, request({}, { arguments: { amount: 7 } }), {
      fields: ["arguments"],
      arguments: [{ name: "amount", type: "Long" }],
    });
    expect(context).toEqual({ arguments: { amount: 7 } });
  });
});

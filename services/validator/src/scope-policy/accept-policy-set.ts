import { policySetTextToParts, policyToJson, validate, type PolicyJson, type ValidationError } from "./cedar-wasm.js";
import { describeCedarError } from "./describe-cedar-error.js";
import type { AcceptedPolicy, AcceptedPolicySet, PolicySetInput } from "./policy-set.js";

export type AcceptResult = { ok: true; set: AcceptedPolicySet } | { ok: false; errors: string[] };

// Ids end up in reason lists, logs and the trail: keep them to characters that need no quoting.
const ID_PATTERN = /^[A-Za-z0-9_.:-]+$/;
const REASON_PATTERN = /^scope\.[a-z0-9_.]+$/;

/**
 * Parses a policy set, reads its annotations and validates it against the Cedar schema in strict
 * mode. Every problem is reported together; nothing of a refused set is kept. Validation warnings
 * refuse a set too: the one authors hit most is "policy is impossible", which is what a policy
 * reading an argument the schema does not declare becomes, and a forbid that can never fire is a
 * hole, not a style issue.
 */
export function acceptPolicySet(input: PolicySetInput, schema: string): AcceptResult {
  const shapeErrors = checkShape(input);
  if (shapeErrors.length > 0) return { ok: false, errors: shapeErrors };

  const parts = policySetTextToParts(input.policies);
  if (parts.type === "failure") {
    return { ok: false, errors: parts.errors.map((error) => describeCedarError(error, input.policies)) };
  }

  const errors: string[] = [];
  if (parts.policy_templates.length > 0) {
    errors.push("policy templates are not supported: scope policies are static, one rule a policy");
  }
  const mode = input.mode ?? "enforce";
  const policies: AcceptedPolicy[] = [];
  const textById = new Map<string, string>();
  // Cedar hands each policy back as the exact slice of the set text it came from.
  const offsetById = new Map<string, number>();
  for (const text of parts.policies) {
    const converted = policyToJson(text);
    if (converted.type === "failure") {
      errors.push(...converted.errors.map((error) => describeCedarError(error, text)));
      continue;
    }
    const policy = readAnnotations(input.id, converted.json, mode, errors);
    if (!policy) continue;
    if (textById.has(policy.qualifiedId)) {
      errors.push(`@id("${policy.qualifiedId.slice(input.id.length + 1)}") is used by more than one policy`);
      continue;
    }
    textById.set(policy.qualifiedId, text);
    offsetById.set(policy.qualifiedId, Math.max(input.policies.indexOf(text), 0));
    policies.push(policy);
  }
  if (errors.length > 0) return { ok: false, errors };

  const validation = validate({
    schema,
    validationSettings: { mode: "strict" },
    policies: { staticPolicies: Object.fromEntries(textById) },
  });
  if (validation.type === "failure") {
    return { ok: false, errors: validation.errors.map((error) => describeCedarError(error, "")) };
  }
  const findings: ValidationError[] = [...validation.validationErrors, ...validation.validationWarnings];
  if (findings.length > 0) {
    return {
      ok: false,
      errors: findings.map((finding) => {
        const offset = offsetById.get(finding.policyId) ?? 0;
        const shift = Buffer.byteLength(input.policies.slice(0, offset), "utf8");
        return describeCedarError(finding.error, input.policies, shift);
      }),
    };
  }

  const offsetOf = (policy: AcceptedPolicy): number => offsetById.get(policy.qualifiedId) ?? 0;
  policies.sort((a, b) => offsetOf(a) - offsetOf(b));
  return {
    ok: true,
    set: { id: input.id, version: input.version, mode, team: input.team ?? null, text: input.policies, policies },
  };
}

function checkShape(input: PolicySetInput): string[] {
  const errors: string[] = [];
  if (typeof input.id !== "string" || !ID_PATTERN.test(input.id)) {
    errors.push(`set id must be non-empty and use only letters, digits and _ . : - (got ${JSON.stringify(input.id)})`);
  }
  if (!Number.isSafeInteger(input.version) || input.version < 0) {
    errors.push(`set version must be a non-negative integer (got ${JSON.stringify(input.version)})`);
  }
  if (input.team !== undefined && input.team !== null && (typeof input.team !== "string" || input.team === "")) {
    errors.push("set team must be a non-empty string, or null for a set every agent gets");
  }
  if (input.mode !== undefined && input.mode !== "enforce" && input.mode !== "shadow") {
    errors.push(`set mode must be "enforce" or "shadow" (got ${JSON.stringify(input.mode)})`);
  }
  if (typeof input.policies !== "string") errors.push("set policies must be Cedar policy text");
  return errors;
}

function readAnnotations(
  setId: string,
  json: PolicyJson,
  mode: "enforce" | "shadow",
  errors: string[],
): AcceptedPolicy | undefined {
  const annotations = json.annotations ?? {};
  const id = annotations["id"];
  if (id === undefined || !ID_PATTERN.test(id)) {
    errors.push(
      id === undefined
        ? `a policy has no @id annotation (effect ${json.effect}); every policy needs @id, @reason and @message`
        : `@id("${id}") must use only letters, digits and _ . : -`,
    );
    return undefined;
  }
  const problems: string[] = [];
  const reasonCode = annotations["reason"];
  if (reasonCode === undefined || !REASON_PATTERN.test(reasonCode)) {
    problems.push(`@reason must be a reason code like "scope.rate_over_limit" (got ${JSON.stringify(reasonCode)})`);
  }
  const message = annotations["message"];
  if (message === undefined || message.trim() === "") problems.push("@message must be a non-empty sentence");
  const review = readFlag(annotations["review"], "review", problems);
  const shadow = readFlag(annotations["shadow"], "shadow", problems);
  if (review && json.effect === "permit") problems.push(`@review("true") only applies to forbid policies`);
  if (problems.length > 0 || reasonCode === undefined || message === undefined) {
    errors.push(...problems.map((problem) => `policy "${id}": ${problem}`));
    return undefined;
  }
  return {
    qualifiedId: `${setId}/${id}`,
    effect: json.effect,
    vote: json.effect === "permit" ? "allow" : review ? "review" : "forbid",
    reasonCode,
    message,
    shadow: shadow || mode === "shadow",
    json,
  };
}

function readFlag(value: string | undefined, name: string, problems: string[]): boolean {
  if (value === undefined || value === "false") return false;
  if (value === "true") return true;
  problems.push(`@${name} must be "true" or "false" (got ${JSON.stringify(value)})`);
  return false;
}

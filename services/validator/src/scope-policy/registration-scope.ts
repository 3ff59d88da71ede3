import type { AgentRegistration } from "@mandate/contracts";
import type { CedarValueJson, EntityJson } from "./cedar-wasm.js";
import { toCedarString } from "./cedar-string.js";
import { compileGlob, matchAnyGlob, type GlobPattern } from "./glob-pattern.js";

/** The attributes of the schema's `Agent` entity. */
export const AGENT_ATTRIBUTES = [
  "owner",
  "registration_version",
  "tools",
  "data_classes",
  "rate_limit_per_minute",
  "max_payload_bytes",
] as const;

export type AgentAttribute = (typeof AGENT_ATTRIBUTES)[number];

/** What of the Agent entity an effective policy set can observe; see compileEffectivePolicySet. */
export interface AgentEntityPlan {
  attributes: readonly AgentAttribute[];
  /** Whether the owner team goes along as the entity's parent: only a policy using `in` can see it. */
  parents: boolean;
}

/** Host names compare case-insensitively, and `host.` is the same host as `host`. */
export function normalizeDestination(destination: string): string {
  const lower = destination.toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

/**
 * One registration version's scope, prepared once: tool and operation lookups, compiled patterns,
 * and the Agent entity Cedar receives. Lives as long as the registration version does.
 */
export class RegistrationScope {
  readonly version: number;
  readonly principal: { type: "Agent"; id: string };
  private readonly owner: string;
  /** Per tool, its allowed operations; null when any operation is allowed. */
  private readonly operations = new Map<string, ReadonlySet<string> | null>();
  private readonly resourcePatterns: readonly GlobPattern[];
  private readonly destinationPatterns: readonly GlobPattern[];
  /** The destination patterns that name a host: everything but catch-alls such as `*`. */
  private readonly namingDestinationPatterns: readonly GlobPattern[];
  private readonly attributes: Partial<Record<AgentAttribute, CedarValueJson>>;
  private entities: { plan: AgentEntityPlan; entities: EntityJson[] } | undefined;

  constructor(registration: AgentRegistration) {
    this.version = registration.version;
    this.owner = registration.owner;
    this.principal = { type: "Agent", id: toCedarString(registration.agent_id) };
    const { scope } = registration;
    for (const tool of scope.tools) {
      const known = this.operations.get(tool.name);
      // A tool listed twice allows what either listing allows; an empty list allows anything.
      if (known === null || tool.operations.length === 0) this.operations.set(tool.name, null);
      else this.operations.set(tool.name, new Set([...(known ?? []), ...tool.operations]));
    }
    this.resourcePatterns = scope.resource_patterns.map(compileGlob);
    this.destinationPatterns = scope.destination_patterns.map((pattern) => compileGlob(normalizeDestination(pattern)));
    this.namingDestinationPatterns = this.destinationPatterns.filter((p) => p.source.replaceAll("*", "").length > 0);
    this.attributes = {
      owner: toCedarString(registration.owner),
      registration_version: registration.version,
      tools: [...this.operations.keys()].sort().map(toCedarString),
      data_classes: [...new Set(scope.data_classes)].sort().map(toCedarString),
    };
    if (scope.rate_limit_per_minute !== null) {
      this.attributes.rate_limit_per_minute = Math.floor(scope.rate_limit_per_minute);
    }
    if (scope.max_payload_bytes !== null) this.attributes.max_payload_bytes = Math.floor(scope.max_payload_bytes);
  }

  toolInScope(tool: string): boolean {
    return this.operations.has(tool);
  }

  operationInScope(tool: string, operation: string): boolean {
    const allowed = this.operations.get(tool);
    if (allowed === undefined) return false;
    return allowed === null || allowed.has(operation);
  }

  /** No resource, or no patterns registered: nothing to be out of scope of. */
  resourceInScope(resource: string | null): boolean {
    if (resource === null || this.resourcePatterns.length === 0) return true;
    return matchAnyGlob(this.resourcePatterns, resource);
  }

  /** No registered destination pattern means no outside destination is in scope. */
  destinationInScope(destination: string | null): boolean {
    if (destination === null) return true;
    return matchAnyGlob(this.destinationPatterns, normalizeDestination(destination));
  }

  /**
   * Whether a pattern that names the host covers the destination. A catch-all (`*`) puts every
   * destination in scope, but vouches for none: it must not make an internal address or an
   * unknown collector look like a place the agent was registered to send to.
   */
  destinationNamedInScope(destination: string | null): boolean {
    if (destination === null) return false;
    return matchAnyGlob(this.namingDestinationPatterns, normalizeDestination(destination));
  }

  /**
   * The Agent entity carrying only what the policies can observe: the attributes they read, and
   * the owner team as parent only when one of them uses `in` (each attribute or parent costs
   * conversion time inside Cedar on every call). An agent always meets the same effective policy
   * set until a set changes, so one cached answer, keyed by the plan's identity, is enough.
   */
  entitiesFor(plan: AgentEntityPlan): EntityJson[] {
    if (this.entities?.plan === plan) return this.entities.entities;
    const attrs: Record<string, CedarValueJson> = {};
    for (const name of plan.attributes) {
      const value = this.attributes[name];
      if (value !== undefined) attrs[name] = value;
    }
    const entity: EntityJson = {
      uid: this.principal,
      attrs,
      parents: plan.parents ? [{ type: "Team", id: toCedarString(this.owner) }] : [],
    };
    this.entities = { plan, entities: [entity] };
    return this.entities.entities;
  }
}

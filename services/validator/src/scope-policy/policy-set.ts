import type { PolicyJson } from "./cedar-wasm.js";

/** A policy set as it travels on `governance.policies.v1`. */
export interface PolicySetInput {
  id: string;
  version: number;
  /** `shadow`: every policy in the set is reported, never enforced. Default `enforce`. */
  mode?: "enforce" | "shadow";
  /** The owning team (an agent registration's `owner`); null or absent for a set every agent gets. */
  team?: string | null;
  /** Cedar policy text. */
  policies: string;
}

export type PolicyOutcome = "allow" | "review" | "forbid";

/** One policy of an accepted set, with what its annotations say. */
export interface AcceptedPolicy {
  /** `<set id>/<@id>`: unique across the sets an agent gets, and the id Cedar reports. */
  qualifiedId: string;
  effect: "permit" | "forbid";
  /** What the policy votes when it is satisfied: permit → allow; forbid → forbid, or review under `@review("true")`. */
  vote: PolicyOutcome;
  reasonCode: string;
  message: string;
  shadow: boolean;
  json: PolicyJson;
}

export interface AcceptedPolicySet {
  id: string;
  version: number;
  mode: "enforce" | "shadow";
  team: string | null;
  text: string;
  /** In the order they are written, which is the order of reasons. */
  policies: AcceptedPolicy[];
}

export type PolicySetResult = { ok: true } | { ok: false; errors: string[] };

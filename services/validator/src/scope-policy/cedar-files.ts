import { readFileSync } from "node:fs";
import type { PolicySetInput } from "./policy-set.js";

const CEDAR_DIR = new URL("../../../../schemas/cedar/", import.meta.url);

/** The Cedar schema every policy set is validated against (schemas/cedar/mandate.cedarschema). */
export function readScopeSchema(): string {
  return readFileSync(new URL("mandate.cedarschema", CEDAR_DIR), "utf8");
}

/**
 * The default policy set shipped with Mandate (schemas/cedar/default.cedar), as version 1 of set
 * `default`; a `default` set published on the policies topic with a higher version replaces it.
 */
export function readDefaultPolicySet(): PolicySetInput {
  return { id: "default", version: 1, team: null, policies: readFileSync(new URL("default.cedar", CEDAR_DIR), "utf8") };
}

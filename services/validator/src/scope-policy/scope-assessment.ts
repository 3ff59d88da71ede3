import type { Reason } from "@mandate/contracts";
import type { PolicyOutcome } from "./policy-set.js";

/** The scope axis's answer for one action. */
export interface ScopeAssessment {
  outcome: PolicyOutcome;
  /** 0 allow, 0.5 review, 1 forbid. */
  score: number;
  reasons: Reason[];
  /** The enforced sets that decided, e.g. `default@3+team-finance@2`. */
  policyVersion: string;
  /** Satisfied shadow policies and what each would have voted; never part of `outcome`. */
  shadow: { policyId: string; outcome: PolicyOutcome }[];
}

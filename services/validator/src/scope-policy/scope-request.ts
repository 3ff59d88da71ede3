import type { ProposedAction } from "@mandate/contracts";

/** What the scope axis needs besides the registration: the action and facts other parts measured. */
export interface ScopeRequest {
  action: ProposedAction;
  /** Proposals this agent made in the trailing minute, this one included. */
  ratePerMinute: number;
  /** Scores the other axes gave this action, each in [0, 1] (alignment: higher fits better). */
  scores: { payload: number; alignment: number; drift: number };
  /** Data classes the payload axis found in the arguments. */
  dataClassesFound: readonly string[];
  /** Facets this agent has no approved history of: `tool`, `operation`, `resource`, `destination`, `arguments.<name>`. */
  firstSeen: readonly string[];
  /** The arguments, when the caller has already parsed `action.arguments_json`; parsed here otherwise. */
  arguments?: unknown;
  /** UTF-8 size of `action.arguments_json`, when the caller has already measured it. */
  payloadBytes?: number;
}

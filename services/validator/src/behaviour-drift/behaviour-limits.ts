import { z } from "zod";

/**
 * Memory bounds of the behaviour store. Unlike thresholds these do not change verdicts except at
 * their edges (an evicted tool counts as new again), so they are sized for the host, not the policy.
 */
export const behaviourLimitsSchema = z.object({
  /** Distinct tools remembered per agent, most recently approved kept. */
  maxTools: z.number().int().min(1).default(32),
  /** Distinct destination hosts remembered per agent. */
  maxDestinations: z.number().int().min(1).default(32),
  /** Distinct intent values remembered per agent (what `recentValues` returns). */
  maxValues: z.number().int().min(1).default(64),
  /**
   * Longer tools, hosts or values are never remembered, so they always count as new: one
   * pathological value must not cost kilobytes in every agent that sees it. Extracted intent values
   * are capped at 200 characters before they get here, and a DNS name at 253.
   */
  maxEntryChars: z.number().int().min(1).default(256),
  /**
   * Agents kept; the least recently active is dropped beyond it. NOTE: a dropped agent starts cold
   * again (no drift signals until it rebuilds a baseline), so this must exceed the agents an
   * instance owns; it exists so that proposals under unbounded agent ids cannot exhaust memory.
   */
  maxAgents: z.number().int().min(1).default(50_000),
});

export type BehaviourLimits = z.infer<typeof behaviourLimitsSchema>;
export type BehaviourLimitsInput = z.input<typeof behaviourLimitsSchema>;

export function parseBehaviourLimits(input: unknown): BehaviourLimits {
  return behaviourLimitsSchema.parse(input);
}

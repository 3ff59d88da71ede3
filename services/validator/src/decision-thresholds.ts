import { z } from "zod";
import { alignmentConfigSchema, type AlignmentConfig } from "./purpose-alignment/index.js";
import { driftThresholdsSchema, type DriftThresholds } from "./behaviour-drift/index.js";

/**
 * Every threshold the verdict depends on, in one document. It travels with the `default` policy
 * set (`thresholds_json`), so the policy version a decision records pins its thresholds too and a
 * decision can be replayed. Unknown keys are refused: a typo must not silently keep a default.
 */
export const decisionThresholdsSchema = z
  .object({
    verdict: z
      .object({
        /** Drift at or above this score flags the action for a human (one new tool or destination alone scores 0.5). */
        driftFlagScore: z.number().min(0).max(1).default(0.5),
      })
      .strict()
      .prefault({}),
    alignment: alignmentConfigSchema.prefault({}),
    drift: driftThresholdsSchema.prefault({}),
  })
  .strict();

export type DecisionThresholds = z.infer<typeof decisionThresholdsSchema>;

export const DEFAULT_DECISION_THRESHOLDS: DecisionThresholds = decisionThresholdsSchema.parse({});

export type ThresholdsResult = { ok: true; thresholds: DecisionThresholds } | { ok: false; errors: string[] };

export function parseDecisionThresholds(json: string | null): ThresholdsResult {
  if (json === null) return { ok: true, thresholds: DEFAULT_DECISION_THRESHOLDS };
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    return { ok: false, errors: [`thresholds are not JSON: ${(error as Error).message}`] };
  }
  const parsed = decisionThresholdsSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((i) => `${i.path.join(".") || "(thresholds)"}: ${i.message}`) };
  }
  return { ok: true, thresholds: parsed.data };
}

export type { AlignmentConfig, DriftThresholds };

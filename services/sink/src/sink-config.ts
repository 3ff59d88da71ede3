import { z } from "zod";
import {
  connectionConfigSchema,
  connectionSettingsFromEnv,
  numberFromEnv,
  parseConfig,
} from "../../common/src/service-config.js";
import { trailLocationFromEnv, trailLocationSchema } from "../../common/src/trail-config.js";

export const sinkConfigSchema = connectionConfigSchema.extend(trailLocationSchema.shape).extend({
  groupId: z.string().min(1).default("mandate-sink"),
  /** Longest a failed insert is retried before the backoff stops growing; retries never give up. */
  maxRetryDelayMs: z.number().int().min(100).default(10_000),
});

export type SinkConfig = z.infer<typeof sinkConfigSchema>;

export function sinkConfigFromEnv(env: NodeJS.ProcessEnv): SinkConfig {
  return parseConfig("sink", sinkConfigSchema, {
    ...connectionSettingsFromEnv(env),
    groupId: env.MANDATE_SINK_GROUP,
    ...trailLocationFromEnv(env),
    maxRetryDelayMs: numberFromEnv(env.MANDATE_SINK_MAX_RETRY_DELAY_MS),
  });
}

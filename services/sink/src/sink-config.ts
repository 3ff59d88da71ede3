import { z } from "zod";
import {
  connectionConfigSchema,
  connectionSettingsFromEnv,
  numberFromEnv,
  parseConfig,
} from "../../common/src/service-config.js";

const clickhouseTargetSchema = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("embedded"), path: z.string().min(1) }),
  z.object({
    mode: z.literal("server"),
    url: z.string().url(),
    username: z.string().optional(),
    password: z.string().optional(),
  }),
]);

export const sinkConfigSchema = connectionConfigSchema.extend({
  groupId: z.string().min(1).default("mandate-sink"),
  clickhouse: clickhouseTargetSchema,
  database: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "a plain identifier")
    .default("mandate"),
  /** Longest a failed insert is retried before the backoff stops growing; retries never give up. */
  maxRetryDelayMs: z.number().int().min(100).default(10_000),
});

export type SinkConfig = z.infer<typeof sinkConfigSchema>;

/** `CLICKHOUSE_URL` selects a server; without it the embedded engine stores the trail in `MANDATE_CHDB_PATH`. */
export function sinkConfigFromEnv(env: NodeJS.ProcessEnv): SinkConfig {
  return parseConfig("sink", sinkConfigSchema, {
    ...connectionSettingsFromEnv(env),
    groupId: env.MANDATE_SINK_GROUP,
    clickhouse: env.CLICKHOUSE_URL
      ? { mode: "server", url: env.CLICKHOUSE_URL, username: env.CLICKHOUSE_USER, password: env.CLICKHOUSE_PASSWORD }
      : { mode: "embedded", path: env.MANDATE_CHDB_PATH ?? ".data/chdb" },
    database: env.MANDATE_CLICKHOUSE_DATABASE,
    maxRetryDelayMs: numberFromEnv(env.MANDATE_SINK_MAX_RETRY_DELAY_MS),
  });
}

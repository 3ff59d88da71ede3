import { z } from "zod";
import { ConfigError } from "@mandate/contracts";
import {
  connectionConfigSchema,
  connectionSettingsFromEnv,
  numberFromEnv,
  parseConfig,
} from "@mandate/common/service-config";
import { trailLocationFromEnv, trailLocationSchema } from "@mandate/common/trail-config";
import { RETENTION_TABLES, type RetentionTable } from "./trail-retention.js";

export const sinkConfigSchema = connectionConfigSchema.extend(trailLocationSchema.shape).extend({
  groupId: z.string().min(1).default("mandate-sink"),
  /** Longest a failed insert is retried before the backoff stops growing; retries never give up. */
  maxRetryDelayMs: z.number().int().min(100).default(10_000),
  /** Days each trail table keeps its rows (MANDATE_TRAIL_RETENTION_DAYS_<TABLE>); unset: for ever. */
  retentionDays: z
    .object(
      Object.fromEntries(
        Object.keys(RETENTION_TABLES).map((table) => [table, z.number().int().min(1).optional()]),
      ) as Record<RetentionTable, z.ZodOptional<z.ZodNumber>>,
    )
    .strict()
    .default({}),
  /** Partition batches stored at the same time (MANDATE_SINK_CONCURRENCY). */
  partitionsConcurrently: z.number().int().min(1).max(64).default(6),
  /**
   * Most bytes one fetch takes from a partition (MANDATE_SINK_PARTITION_FETCH_BYTES); each partition
   * batch is one insert. kafkajs's 1 MiB default gives inserts of about 3,000 decisions, and the sink
   * drained a topic at about half the rate it reaches with 8 MiB. A fetch still returns as soon as
   * anything is there, so under a light load batches stay small and the delay short.
   */
  partitionFetchBytes: z
    .number()
    .int()
    .min(64 * 1024)
    .default(8 * 1024 * 1024),
  /** How often expired partitions are dropped where the server has no TTL. */
  retentionIntervalMs: z.number().int().min(1_000).default(3_600_000),
});

export type SinkConfig = z.infer<typeof sinkConfigSchema>;

export function sinkConfigFromEnv(env: NodeJS.ProcessEnv): SinkConfig {
  if (env.MANDATE_TRAIL_RETENTION_DAYS_ACTIONS !== undefined) {
    // Refused rather than ignored: whoever set it expects actions to be deleted after those days.
    throw new ConfigError(
      "sink: invalid configuration\n  - MANDATE_TRAIL_RETENTION_DAYS_ACTIONS: `actions` is a view of `decisions` since " +
        "migration 0006 and keeps what they keep; set MANDATE_TRAIL_RETENTION_DAYS_DECISIONS instead",
    );
  }
  return parseConfig("sink", sinkConfigSchema, {
    ...connectionSettingsFromEnv(env),
    groupId: env.MANDATE_SINK_GROUP,
    ...trailLocationFromEnv(env),
    maxRetryDelayMs: numberFromEnv(env.MANDATE_SINK_MAX_RETRY_DELAY_MS),
    partitionsConcurrently: numberFromEnv(env.MANDATE_SINK_CONCURRENCY),
    partitionFetchBytes: numberFromEnv(env.MANDATE_SINK_PARTITION_FETCH_BYTES),
    retentionDays: Object.fromEntries(
      Object.keys(RETENTION_TABLES).map((table) => [
        table,
        numberFromEnv(env[`MANDATE_TRAIL_RETENTION_DAYS_${table.toUpperCase()}`]),
      ]),
    ),
  });
}

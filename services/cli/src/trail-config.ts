import type { z } from "zod";
import { parseConfig } from "@mandate/common/service-config";
import { trailLocationFromEnv, trailLocationSchema } from "@mandate/common/trail-config";

export type TrailConfig = z.infer<typeof trailLocationSchema>;

/**
 * Where `mandate trail` reads: the same variables the sink writes with, so one environment serves both.
 * `CLICKHOUSE_URL` selects a server; without it the embedded trail in `MANDATE_CHDB_PATH`.
 */
export function trailConfigFromEnv(env: NodeJS.ProcessEnv = process.env): TrailConfig {
  return parseConfig("mandate trail", trailLocationSchema, trailLocationFromEnv(env));
}

import { z } from "zod";
import { parseConfig } from "../../common/src/service-config.js";

const trailConfigSchema = z.object({
  clickhouse: z.discriminatedUnion("mode", [
    z.object({ mode: z.literal("embedded"), path: z.string().min(1) }),
    z.object({
      mode: z.literal("server"),
      url: z.string().url(),
      username: z.string().optional(),
      password: z.string().optional(),
    }),
  ]),
  database: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "a plain identifier")
    .default("mandate"),
});

export type TrailConfig = z.infer<typeof trailConfigSchema>;

/**
 * Where `mandate trail` reads: the same variables the sink writes with, so one environment serves both.
 * `CLICKHOUSE_URL` selects a server; without it the embedded trail in `MANDATE_CHDB_PATH`.
 */
export function trailConfigFromEnv(env: NodeJS.ProcessEnv = process.env): TrailConfig {
  return parseConfig("mandate trail", trailConfigSchema, {
    clickhouse: env.CLICKHOUSE_URL
      ? { mode: "server", url: env.CLICKHOUSE_URL, username: env.CLICKHOUSE_USER, password: env.CLICKHOUSE_PASSWORD }
      : { mode: "embedded", path: env.MANDATE_CHDB_PATH ?? ".data/chdb" },
    database: env.MANDATE_CLICKHOUSE_DATABASE || undefined,
  });
}

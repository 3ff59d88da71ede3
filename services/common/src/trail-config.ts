import { z } from "zod";

/** Where the trail lives and in which database: shared by the sink (writing) and the CLI (reading). */
export const trailLocationSchema = z.object({
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

/** `CLICKHOUSE_URL` selects a server; without it the embedded trail in `MANDATE_CHDB_PATH` (default `.data/chdb`). */
export function trailLocationFromEnv(env: NodeJS.ProcessEnv) {
  return {
    clickhouse: env.CLICKHOUSE_URL
      ? { mode: "server", url: env.CLICKHOUSE_URL, username: env.CLICKHOUSE_USER, password: env.CLICKHOUSE_PASSWORD }
      : { mode: "embedded", path: env.MANDATE_CHDB_PATH ?? ".data/chdb" },
    database: env.MANDATE_CLICKHOUSE_DATABASE || undefined,
  };
}

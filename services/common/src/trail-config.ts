import { z } from "zod";

/** Where the trail lives and in which database: shared by the sink (writing) and the CLI (reading). */
export const trailLocationSchema = z.object({
  clickhouse: z.discriminatedUnion("mode", [
    z.object({ mode: z.literal("embedded"), path: z.string().min(1) }),
    z
      .object({
        mode: z.literal("server"),
        url: z.string().url(),
        username: z.string().optional(),
        password: z.string().optional(),
        /** PEM CA of an https server's certificate; the system CAs when omitted. */
        caFile: z.string().min(1).optional(),
      })
      // Refused rather than ignored: whoever gave a CA expects the password to travel encrypted.
      .refine((server) => server.caFile === undefined || server.url.startsWith("https://"), {
        path: ["caFile"],
        message: "CLICKHOUSE_CA_FILE needs an https:// CLICKHOUSE_URL",
      }),
  ]),
  database: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "a plain identifier")
    .default("mandate"),
});

/**
 * `CLICKHOUSE_URL` selects a server (http or https), with `CLICKHOUSE_USER`, `CLICKHOUSE_PASSWORD` and
 * `CLICKHOUSE_CA_FILE`; without it the embedded trail in `MANDATE_CHDB_PATH` (default `.data/chdb`).
 */
export function trailLocationFromEnv(env: NodeJS.ProcessEnv) {
  return {
    clickhouse: env.CLICKHOUSE_URL
      ? {
          mode: "server",
          url: env.CLICKHOUSE_URL,
          username: env.CLICKHOUSE_USER,
          password: env.CLICKHOUSE_PASSWORD,
          caFile: env.CLICKHOUSE_CA_FILE || undefined,
        }
      : { mode: "embedded", path: env.MANDATE_CHDB_PATH ?? ".data/chdb" },
    database: env.MANDATE_CLICKHOUSE_DATABASE || undefined,
  };
}

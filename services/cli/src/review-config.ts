import { z } from "zod";
import { parseConfig } from "@mandate/common/service-config";

export const reviewClientConfigSchema = z.object({
  /** Where the review service's API listens. */
  url: z.string().url().default("http://127.0.0.1:8088"),
  /** The caller's bearer token; the service knows it only by its SHA-256. */
  token: z.string().min(1, "set MANDATE_REVIEW_TOKEN to your review token"),
});

export type ReviewClientConfig = z.infer<typeof reviewClientConfigSchema>;

/** Where `mandate review` sends requests and with which token: MANDATE_REVIEW_URL, MANDATE_REVIEW_TOKEN. */
export function reviewClientConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ReviewClientConfig {
  return parseConfig("mandate review", reviewClientConfigSchema, {
    url: env.MANDATE_REVIEW_URL || undefined,
    token: env.MANDATE_REVIEW_TOKEN ?? "",
  });
}

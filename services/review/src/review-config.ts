import fs from "node:fs";
import os from "node:os";
import { z } from "zod";
import {
  connectionConfigSchema,
  connectionSettingsFromEnv,
  numberFromEnv,
  parseConfig,
} from "@mandate/common/service-config";

const existingFile = z
  .string()
  .min(1)
  .refine((file) => fs.existsSync(file), "no such file");

export const reviewConfigSchema = connectionConfigSchema
  .extend({
    /**
     * The `validator_id` of every record this service publishes and the key under which its public
     * key is published: executors verify its decisions exactly like a validator's. Run one instance
     * per id (see review-service.ts).
     */
    reviewServiceId: z
      .string()
      .min(1)
      .regex(/^[A-Za-z0-9._-]+$/, "letters, digits, dot, dash, underscore"),
    /** The review API and /healthz, /readyz, /metrics: unlike the other services it always listens. 0 picks a free port. */
    httpPort: z.number().int().min(0).max(65535).default(8088),
    httpHost: z.string().min(1).default("0.0.0.0"),
    /** YAML or JSON list of {name, role: reviewer|viewer, token_sha256} (reviewer-tokens.ts). */
    tokensFile: existingFile,
    /** How long after a flag a reviewer may decide it; then it is rejected (`review.deadline_passed`). */
    reviewDeadlineSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600)
      .default(900),
    /**
     * How far back the decision topic is read at start to rebuild the queue. At least the deadline,
     * so every flag still open is found; the default hour more also finds flags whose deadline
     * passed while the service was down, and rejects them at start.
     */
    lookbackSeconds: z.number().int().min(1).optional(),
    /** How long an executor may act on a reviewer's approval, as for a validator's. */
    decisionTtlSeconds: z.number().int().min(1).max(3600).default(60),
    capabilityTtlSeconds: z.number().int().min(1).max(3600).default(60),
    /** How often overdue flags are looked for: the most a deadline rejection can be late by. */
    deadlineCheckIntervalMs: z.number().int().min(50).max(60_000).default(1000),
    /** PKCS#8 PEM file with this service's Ed25519 signing key; unset generates one at start (development). */
    signingKeyPath: existingFile.optional(),
    /**
     * Tools whose flags need two reviewers to approve: the first approval is recorded, the second, by
     * a different reviewer, publishes the approval. A rejection by either rejects at once.
     */
    twoPersonTools: z.array(z.string().min(1).regex(/^\S+$/, "a tool name, no spaces")).default([]),
  })
  .transform((config) => ({
    ...config,
    lookbackSeconds: config.lookbackSeconds ?? config.reviewDeadlineSeconds + 3600,
  }))
  .refine((config) => config.lookbackSeconds >= config.reviewDeadlineSeconds, {
    path: ["lookbackSeconds"],
    message: "must be at least reviewDeadlineSeconds, or open reviews are lost on a restart",
  });

export type ReviewConfig = z.infer<typeof reviewConfigSchema>;

export function reviewConfigFromEnv(env: NodeJS.ProcessEnv): ReviewConfig {
  return parseConfig("review", reviewConfigSchema, {
    ...connectionSettingsFromEnv(env),
    reviewServiceId: env.MANDATE_REVIEW_ID ?? `${os.hostname()}-review`,
    httpPort: numberFromEnv(env.MANDATE_REVIEW_HTTP_PORT),
    httpHost: env.MANDATE_REVIEW_HTTP_HOST || undefined,
    tokensFile: env.MANDATE_REVIEW_TOKENS_FILE,
    reviewDeadlineSeconds: numberFromEnv(env.MANDATE_REVIEW_DEADLINE_SECONDS),
    lookbackSeconds: numberFromEnv(env.MANDATE_REVIEW_LOOKBACK_SECONDS),
    decisionTtlSeconds: numberFromEnv(env.MANDATE_DECISION_TTL_SECONDS),
    capabilityTtlSeconds: numberFromEnv(env.MANDATE_CAPABILITY_TTL_SECONDS),
    signingKeyPath: env.MANDATE_REVIEW_SIGNING_KEY || undefined,
    twoPersonTools: listFromEnv(env.MANDATE_REVIEW_TWO_PERSON_TOOLS),
  });
}

/** A comma-separated list (`send_email, wire_transfer`); unset or blank is none. */
function listFromEnv(value: string | undefined): string[] | undefined {
  const items = (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  return items.length === 0 ? undefined : items;
}

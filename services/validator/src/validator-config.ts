import fs from "node:fs";
import os from "node:os";
import { z } from "zod";
import {
  connectionConfigSchema,
  connectionSettingsFromEnv,
  numberFromEnv,
  parseConfig,
} from "@mandate/common/service-config";
import { POLICY_EVALUATIONS } from "./scope-policy/policy-evaluation.js";

export const validatorConfigSchema = connectionConfigSchema.extend({
  /** Identifies this instance in decisions and its transactional id; stable across restarts of one instance. */
  validatorId: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9._-]+$/, "letters, digits, dot, dash, underscore"),
  groupId: z.string().min(1).default("mandate-validator"),
  /** Larger action messages are not decoded: dead letter plus a rejected verdict. */
  maxActionBytes: z
    .number()
    .int()
    .min(1024)
    .default(256 * 1024),
  /**
   * Larger observations (a tool's result, what the agent read) on the action topic are not decoded:
   * dead letter only, no verdict. Reporters cut an output to 64 KiB by default, so this leaves room
   * for its arguments and a larger bound.
   */
  maxObservationBytes: z
    .number()
    .int()
    .min(1024)
    .default(256 * 1024),
  /**
   * Largest decision record the validator publishes. A larger one (an action near the action limit whose
   * reasons or redacted arguments push it over) is never sent: the broker would refuse it and the
   * partition would stop on that batch for good. The action is dead-lettered and rejected unread instead.
   * Keep it under the decision topic's `max.message.bytes` (1 MiB by default).
   */
  maxDecisionBytes: z
    .number()
    .int()
    .min(4096)
    .default(1000 * 1000),
  /**
   * A validator silent this long loses its partitions to the others (kafkajs default 30 s). At least the
   * broker's `group.min.session.timeout.ms` (6 s by default), which refuses a shorter one at every join.
   */
  sessionTimeoutMs: z.number().int().min(6000).default(30_000),
  /**
   * Action partitions decided at once: each has its own transactional producer and the engine journals
   * each batch apart, so one partition's batch need not wait for another's commit (the exactly-once
   * round trips, not the decisions, are most of the wait). 1 decides partitions one after another.
   */
  partitionsConcurrently: z.number().int().min(1).max(64).default(12),
  /** An open transaction of a crashed validator blocks read-committed readers of its partitions until this passes. */
  transactionTimeoutMs: z.number().int().min(1000).default(60_000),
  /** How long an executor may act on an approved decision. */
  decisionTtlSeconds: z.number().int().min(1).max(3600).default(60),
  /** How long the capability of an approved decision (bound to that one action) stays valid. */
  capabilityTtlSeconds: z.number().int().min(1).max(3600).default(60),
  /** How far an action's `proposed_at` may be from the decision time, either way; the replay window covers twice it. */
  identityClockSkewSeconds: z.number().int().min(1).max(3600).default(60),
  /** Most envelopes one agent may have in its replay window; beyond it its actions are refused until older ones age out. */
  replayWindowMaxPerAgent: z.number().int().min(1).default(20_000),
  /**
   * Who evaluates the scope policies (MANDATE_POLICY_EVALUATION): `javascript-first` answers what it
   * is certain of in JavaScript and asks cedar-wasm the rest (scope-policy/policy-evaluator.ts);
   * `cedar-wasm` asks cedar-wasm every time, at about 45 µs more per decision.
   */
  policyEvaluation: z.enum(POLICY_EVALUATIONS).default("javascript-first"),
  /**
   * PKCS#8 PEM file with the validator's Ed25519 signing key. Unset: a key is generated at start
   * (development only: every restart publishes a new key, and decisions signed with the old one
   * that are still in flight are refused).
   */
  signingKeyPath: z
    .string()
    .min(1)
    .refine((file) => fs.existsSync(file), "no such file")
    .optional(),
  /**
   * Hex key (at least 32 bytes) for the fingerprints in redacted secrets, HMAC-SHA256(key, secret):
   * the same secret gets the same fingerprint on every validator that shares the key, and nobody
   * without it can test a guess. Unset: a random key per process (development only: fingerprints
   * then differ across instances and restarts).
   */
  redactionKeyHex: z
    .string()
    .regex(/^(?:[0-9a-fA-F]{2}){32,}$/, "at least 64 hex digits (32 bytes)")
    .optional(),
});

export type ValidatorConfig = z.infer<typeof validatorConfigSchema>;

/**
 * The action consumer's group timings for a session timeout. NOTE: kafkajs heartbeats only between
 * fetches and batches, and an idle fetch waits `maxWaitTimeInMs` (5 s by default) on the connection the
 * heartbeat then takes. With its defaults (a heartbeat every 3 s, 5 s fetches) a session of 6 s expired
 * while the validator sat idle, and the rebalance that followed held up every partition. A third of the
 * session each, as Kafka advises for the heartbeat, leaves a missed beat room before the session ends.
 */
export function groupTimings(sessionTimeoutMs: number): { heartbeatInterval: number; maxWaitTimeInMs: number } {
  const third = Math.floor(sessionTimeoutMs / 3);
  return { heartbeatInterval: Math.min(3000, third), maxWaitTimeInMs: Math.min(5000, third) };
}

export function validatorConfigFromEnv(env: NodeJS.ProcessEnv): ValidatorConfig {
  return parseConfig("validator", validatorConfigSchema, {
    ...connectionSettingsFromEnv(env),
    validatorId: env.MANDATE_VALIDATOR_ID ?? `${os.hostname()}-validator`,
    groupId: env.MANDATE_VALIDATOR_GROUP,
    maxActionBytes: numberFromEnv(env.MANDATE_MAX_ACTION_BYTES),
    maxObservationBytes: numberFromEnv(env.MANDATE_MAX_OBSERVATION_BYTES),
    maxDecisionBytes: numberFromEnv(env.MANDATE_MAX_DECISION_BYTES),
    decisionTtlSeconds: numberFromEnv(env.MANDATE_DECISION_TTL_SECONDS),
    capabilityTtlSeconds: numberFromEnv(env.MANDATE_CAPABILITY_TTL_SECONDS),
    identityClockSkewSeconds: numberFromEnv(env.MANDATE_IDENTITY_CLOCK_SKEW_SECONDS),
    replayWindowMaxPerAgent: numberFromEnv(env.MANDATE_REPLAY_WINDOW_MAX_PER_AGENT),
    policyEvaluation: env.MANDATE_POLICY_EVALUATION || undefined,
    signingKeyPath: env.MANDATE_VALIDATOR_SIGNING_KEY || undefined,
    redactionKeyHex: env.MANDATE_REDACTION_KEY || undefined,
    sessionTimeoutMs: numberFromEnv(env.MANDATE_VALIDATOR_SESSION_TIMEOUT_MS),
    partitionsConcurrently: numberFromEnv(env.MANDATE_VALIDATOR_CONCURRENCY),
    transactionTimeoutMs: numberFromEnv(env.MANDATE_VALIDATOR_TRANSACTION_TIMEOUT_MS),
  });
}

import type { ClickHouseTarget } from "@mandate/common/clickhouse-target";
import { createKafka } from "@mandate/sdk/kafka/kafka-client";
import type { KafkaSecurity } from "@mandate/sdk/kafka/kafka-security";
import { createLogger } from "@mandate/common/logger";
import { topicSettingsSchema } from "@mandate/common/topic-settings";
import { prepareTopics } from "@mandate/common/topics";
import { type TopicNames } from "@mandate/contracts";
import { reviewConfigSchema, type ReviewConfig } from "@mandate/review/review-config";
import { ReviewService } from "@mandate/review/review-service";
import { sinkConfigSchema } from "@mandate/sink/sink-config";
import { SinkService } from "@mandate/sink/sink-service";
import type { DecisionEngine } from "@mandate/validator/decision-engine";
import { validatorConfigSchema, type ValidatorConfig } from "@mandate/validator/validator-config";
import { ValidatorService } from "@mandate/validator/validator-service";
import type { InfraStack } from "./infra-stack.js";

/**
 * A stack of one broker (local processes or testcontainers) can hold one copy of each partition: set
 * explicitly, since the services' defaults are for a 3-broker cluster. A stack that says what it can
 * hold (`topicReplication`, a 3-node cluster) gets that instead.
 */
export const SINGLE_BROKER_TOPIC_SETTINGS = { topicReplicationFactor: 1, topicMinInsyncReplicas: 1 } as const;

export interface PipelineOptions {
  topics: TopicNames;
  database: string;
  clickhouse?: ClickHouseTarget;
  validators?: number;
  validatorGroupId?: string;
  sinkGroupId?: string;
  logLevel?: "silent" | "error" | "warn" | "info" | "debug";
  engine?: () => DecisionEngine;
  /**
   * Each service's own Kafka principal, for a broker that enforces the roles (acl-plan.ts); plaintext
   * and unauthenticated when left out. With `admin`, the admin creates the topics before the services
   * start: their ACLs let them check the topics, not create them.
   */
  kafkaSecurity?: Partial<Record<"admin" | "validator" | "sink" | "review", KafkaSecurity>>;
  /** Validator settings beyond the connection (TTLs, clock skew, signing key), as in its config. */
  validatorSettings?: Partial<
    Pick<
      ValidatorConfig,
      | "decisionTtlSeconds"
      | "capabilityTtlSeconds"
      | "identityClockSkewSeconds"
      | "replayWindowMaxPerAgent"
      | "maxDecisionBytes"
      | "signingKeyPath"
      | "httpPort"
    >
  >;
  /**
   * Also run the review service (off unless given): the tokens file is required; its API listens on a
   * free port unless `httpPort` says otherwise (`review.httpPort` tells which).
   */
  review?: Pick<ReviewConfig, "tokensFile"> &
    Partial<
      Pick<
        ReviewConfig,
        | "reviewDeadlineSeconds"
        | "lookbackSeconds"
        | "decisionTtlSeconds"
        | "capabilityTtlSeconds"
        | "deadlineCheckIntervalMs"
        | "signingKeyPath"
        | "httpPort"
      >
    >;
}

export interface RunningPipeline {
  validators: ValidatorService[];
  sink: SinkService | undefined;
  review: ReviewService | undefined;
  stop(): Promise<void>;
}

/**
 * Runs the validator(s), the sink and, when asked, the review service in this process against a
 * stack. The services are the same classes their `main.ts` starts; running them in-process lets the demo and the tests read the
 * embedded trail through the sink, which must own the chdb data directory.
 */
export async function startPipeline(stack: InfraStack, options: PipelineOptions): Promise<RunningPipeline> {
  const connection = {
    kafkaBrokers: stack.kafkaBrokers,
    schemaRegistryUrl: stack.schemaRegistryUrl,
    topics: options.topics,
    logLevel: options.logLevel ?? "warn",
    ...(stack.topicReplication ?? SINGLE_BROKER_TOPIC_SETTINGS),
  };
  const validators = Array.from(
    { length: options.validators ?? 1 },
    (_, i) =>
      new ValidatorService(
        validatorConfigSchema.parse({
          ...connection,
          ...options.validatorSettings,
          kafkaSecurity: options.kafkaSecurity?.validator,
          validatorId: `validator-${i + 1}-${options.topics.actions}`.replace(/[^A-Za-z0-9._-]/g, "-"),
          groupId: options.validatorGroupId ?? `mandate-validator-${options.topics.actions}`,
        }),
        options.engine?.(),
      ),
  );
  const clickhouse = options.clickhouse ?? stack.clickhouse;
  const sink = clickhouse
    ? new SinkService(
        sinkConfigSchema.parse({
          ...connection,
          kafkaSecurity: options.kafkaSecurity?.sink,
          groupId: options.sinkGroupId ?? `mandate-sink-${options.topics.actions}`,
          clickhouse,
          database: options.database,
        }),
      )
    : undefined;
  const review = options.review
    ? new ReviewService(
        reviewConfigSchema.parse({
          ...connection,
          httpPort: 0,
          httpHost: "127.0.0.1",
          ...options.review,
          kafkaSecurity: options.kafkaSecurity?.review,
          reviewServiceId: `review-${options.topics.actions}`.replace(/[^A-Za-z0-9._-]/g, "-"),
        }),
      )
    : undefined;
  const admin = options.kafkaSecurity?.admin;
  if (admin) {
    const logger = createLogger("pipeline", options.logLevel ?? "warn");
    await prepareTopics(
      createKafka({ ...connection, kafkaSecurity: admin }, "mandate-pipeline", logger),
      options.topics,
      topicSettingsSchema.parse(connection),
      logger,
    );
  }
  const started: Array<{ stop(): Promise<void> }> = [];
  try {
    for (const service of [...validators, ...(sink ? [sink] : []), ...(review ? [review] : [])]) {
      await service.start();
      started.push(service);
    }
  } catch (error) {
    await Promise.allSettled(started.map((s) => s.stop()));
    throw error;
  }
  return {
    validators,
    sink,
    review,
    async stop() {
      await review?.stop();
      await Promise.all(validators.map((v) => v.stop()));
      await sink?.stop();
    },
  };
}

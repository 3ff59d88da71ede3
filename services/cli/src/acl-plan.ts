import type { AclEntry, AclOperationTypes, AclResourceTypes, Admin, ResourcePatternTypes } from "kafkajs";
import {
  CLI_GROUP_PREFIX,
  FOLLOWER_GROUP_PREFIX,
  READER_GROUP_PREFIX,
  SDK_GROUP_PREFIX,
} from "@mandate/sdk/kafka/consumer-groups";
import type { TopicNames } from "@mandate/contracts";

/** Who uses Kafka in Mandate: each gets its own principal and only the ACLs its clients need. */
export const MANDATE_ROLES = ["agent", "validator", "executor", "sink", "review", "admin"] as const;
export type MandateRole = (typeof MANDATE_ROLES)[number];

export type AclResourceKind = "Topic" | "Group" | "TransactionalId" | "Cluster";
export type AclPattern = "Literal" | "Prefixed";
export type AclOperation = "All" | "Read" | "Write" | "Describe" | "DescribeConfigs" | "Alter";

/** One ALLOW ACL, as `kafka-acls.sh` would print it, with the reason Mandate needs it. */
export interface PlannedAcl {
  role: MandateRole;
  /** `User:<name>`: what the broker's SASL or TLS authentication makes of the client. */
  principal: string;
  resourceType: AclResourceKind;
  patternType: AclPattern;
  resourceName: string;
  operation: AclOperation;
  why: string;
}

export interface AclPlanOptions {
  topics: TopicNames;
  /** The principals of each role; a role left out gets no ACLs. */
  principals: Partial<Record<MandateRole, readonly string[]>>;
  /** The validators' consumer group (`MANDATE_VALIDATOR_GROUP`). */
  validatorGroup: string;
  /** The sink's consumer group (`MANDATE_SINK_GROUP`). */
  sinkGroup: string;
  /** The executors' consumer groups: each `MandateExecutor`'s `groupId`. */
  executorGroups: readonly string[];
}

/** The services' default groups (validator-config.ts, sink-config.ts), for a plan that is not told otherwise. */
export const DEFAULT_VALIDATOR_GROUP = "mandate-validator";
export const DEFAULT_SINK_GROUP = "mandate-sink";

/**
 * NOTE: the validators' transactional ids are `mandate-validator-<group>-<actions topic>-<partition>`,
 * one per action partition (validator-service.ts); one prefix covers them. Granted to validators only:
 * a transactional id is what fences a zombie validator, and whoever may use it may abort its transaction.
 */
export const VALIDATOR_TRANSACTIONAL_ID_PREFIX = "mandate-validator-";
/** NOTE: the private groups that restore a validator's security state (validator-state/, in the validator). */
export const VALIDATOR_RESTORE_GROUP_PREFIX = "mandate-validator-restore-";

type Grant = Omit<PlannedAcl, "role" | "principal">;

const topic = (resourceName: string, operation: AclOperation, why: string): Grant => ({
  resourceType: "Topic",
  patternType: "Literal",
  resourceName,
  operation,
  why,
});
const group = (resourceName: string, patternType: AclPattern, why: string): Grant => ({
  resourceType: "Group",
  patternType,
  resourceName,
  operation: "Read",
  why,
});
const privateGroups = (what: string): Grant[] => [
  group(READER_GROUP_PREFIX, "Prefixed", `private groups that read compacted topics (${what})`),
  group(FOLLOWER_GROUP_PREFIX, "Prefixed", `private groups that follow a topic (${what})`),
];

/**
 * Every service starts by checking every topic's settings (`prepareTopics`): it must see each topic
 * (Describe, which Read and Write imply) and its configs (DescribeConfigs). It does not create them:
 * with ACLs on, the admin does, with `mandate topics apply`, before the services start.
 */
function topicChecks(topics: TopicNames, granted: readonly Grant[]): Grant[] {
  const seen = new Set(granted.filter((g) => g.resourceType === "Topic").map((g) => g.resourceName));
  return Object.values(topics).flatMap((name) => [
    ...(seen.has(name) ? [] : [topic(name, "Describe", "checks the topic's settings at start")]),
    topic(name, "DescribeConfigs", "checks the topic's settings at start"),
  ]);
}

function grantsOf(role: MandateRole, options: AclPlanOptions): Grant[] {
  const { topics } = options;
  switch (role) {
    case "agent":
      // Least privilege: proposals and observations in, verdicts and its results out. Never the
      // decision, validator-key, registry or policy topics for writing.
      return [
        topic(topics.actions, "Write", "proposes actions and reports what it observed"),
        // NOTE: Kafka has no per-partition ACL, so an agent that reads its results can read the
        // other agents' proposals and results too; what it reads is never trusted for a verdict.
        topic(topics.actions, "Read", "reads its results back from its partition (run())"),
        topic(topics.decisions, "Read", "waits for its verdicts"),
        topic(topics.validatorKeys, "Read", "gate mode checks a verdict's signature itself"),
        group(SDK_GROUP_PREFIX, "Prefixed", "private groups of its decision and result listeners"),
        group(READER_GROUP_PREFIX, "Prefixed", "private groups that read the validator keys (gate mode)"),
      ];
    case "validator": {
      const granted = [
        topic(topics.actions, "Read", "decides every proposed action"),
        topic(topics.registry, "Read", "knows every agent's registration"),
        topic(topics.policies, "Read", "applies the policy sets"),
        topic(topics.decisions, "Read", "learns of reviewers' approvals"),
        topic(topics.decisions, "Write", "publishes signed decisions, in a transaction"),
        topic(topics.deadLetters, "Write", "dead-letters what it cannot read, in the same transaction"),
        topic(topics.validatorKeys, "Write", "publishes its public signing key"),
        topic(topics.validatorState, "Read", "restores its security state after a restart or rebalance"),
        topic(topics.validatorState, "Write", "keeps its security state, in the decisions' transaction"),
        group(options.validatorGroup, "Literal", "its consumer group; offsets commit with the decisions"),
        group(VALIDATOR_RESTORE_GROUP_PREFIX, "Prefixed", "private groups that restore its security state"),
        ...privateGroups("registrations, policy sets, reviewed approvals"),
        {
          resourceType: "TransactionalId",
          patternType: "Prefixed",
          resourceName: `${VALIDATOR_TRANSACTIONAL_ID_PREFIX}${options.validatorGroup}-${topics.actions}-`,
          operation: "Write",
          why: "a transactional id per action partition: exactly one decision per action",
        } satisfies Grant,
      ];
      return [...granted, ...topicChecks(topics, granted)];
    }
    case "executor":
      return [
        topic(topics.decisions, "Read", "runs approved actions"),
        topic(topics.validatorKeys, "Read", "verifies every verdict's signature"),
        topic(topics.registry, "Read", "knows which agents belong to the owners it serves"),
        topic(topics.executions, "Read", "knows what already ran (no second run)"),
        topic(topics.executions, "Write", "records each run before and after it"),
        topic(topics.actions, "Write", "returns the tool's result to the agent"),
        topic(topics.deadLetters, "Write", "dead-letters a decision it cannot read"),
        ...options.executorGroups.map((g) => group(g, "Literal", "its consumer group (the executor's groupId)")),
        ...privateGroups("validator keys, registrations, executions"),
      ];
    case "sink": {
      const granted = [
        ...[topics.decisions, topics.deadLetters, topics.registry, topics.executions].map((name) =>
          topic(name, "Read", "stores it in the trail"),
        ),
        topic(topics.deadLetters, "Write", "dead-letters a record it cannot store"),
        group(options.sinkGroup, "Literal", "its consumer group; offsets commit after ClickHouse has the rows"),
      ];
      return [...granted, ...topicChecks(topics, granted)];
    }
    case "review": {
      const granted = [
        topic(topics.decisions, "Read", "rebuilds the queue of flagged actions"),
        topic(topics.decisions, "Write", "publishes a reviewer's signed decision, superseding the flag"),
        topic(topics.validatorKeys, "Read", "knows its own previous key"),
        topic(topics.validatorKeys, "Write", "publishes its public signing key"),
        topic(topics.registry, "Read", "knows which team owns each agent"),
        ...privateGroups("validator keys, registrations, decisions"),
      ];
      return [...granted, ...topicChecks(topics, granted)];
    }
    case "admin":
      return [
        ...Object.values(topics).map((name) =>
          topic(name, "All", "creates the topics, publishes registrations and policy sets, replays dead letters"),
        ),
        group(CLI_GROUP_PREFIX, "Prefixed", "the CLI's private groups (mandate dlq)"),
        group(READER_GROUP_PREFIX, "Prefixed", "private groups that read the registry (mandate agent)"),
        {
          resourceType: "Cluster",
          patternType: "Literal",
          resourceName: "kafka-cluster",
          operation: "Alter",
          why: "creates these ACLs (mandate acls apply)",
        },
        {
          resourceType: "Cluster",
          patternType: "Literal",
          resourceName: "kafka-cluster",
          operation: "Describe",
          why: "lists the ACLs there are",
        },
      ];
  }
}

/**
 * The ACLs each role's principals need, derived from the topics and groups the code uses. NOTE: no
 * `IdempotentWrite` on the cluster: since Kafka 2.8 (KIP-679) Write on a topic lets a producer be
 * idempotent, and every Mandate producer writes to a topic it is granted.
 */
export function aclPlan(options: AclPlanOptions): PlannedAcl[] {
  if ((options.principals.executor?.length ?? 0) > 0 && options.executorGroups.length === 0) {
    throw new Error("executor principals need the executors' consumer groups (each MandateExecutor's groupId)");
  }
  return MANDATE_ROLES.flatMap((role) =>
    (options.principals[role] ?? []).flatMap((principal) =>
      grantsOf(role, options).map((grant) => ({ role, principal: asPrincipal(principal), ...grant })),
    ),
  );
}

/** `alice` and `User:alice` both name the user alice. */
export function asPrincipal(name: string): string {
  return name.includes(":") ? name : `User:${name}`;
}

// NOTE: kafkajs's enums are not named exports Node can see from ESM (its CommonJS exports object
// defeats the export lexer), so their values are spelled here, as topics.ts does.
const RESOURCE_TYPES: Record<AclResourceKind, AclResourceTypes> = {
  Topic: 2 as AclResourceTypes,
  Group: 3 as AclResourceTypes,
  Cluster: 4 as AclResourceTypes,
  TransactionalId: 5 as AclResourceTypes,
};
const PATTERN_TYPES: Record<AclPattern, ResourcePatternTypes> = {
  Literal: 3 as ResourcePatternTypes,
  Prefixed: 4 as ResourcePatternTypes,
};
const OPERATIONS: Record<AclOperation, AclOperationTypes> = {
  All: 2 as AclOperationTypes,
  Read: 3 as AclOperationTypes,
  Write: 4 as AclOperationTypes,
  Alter: 7 as AclOperationTypes,
  Describe: 8 as AclOperationTypes,
  DescribeConfigs: 10 as AclOperationTypes,
};
const ANY_RESOURCE = 1 as AclResourceTypes;
const ANY_PATTERN = 1 as ResourcePatternTypes;
const ANY_OPERATION = 1 as AclOperationTypes;
const ANY_PERMISSION = 1 as AclEntry["permissionType"];
const ALLOW = 3 as AclEntry["permissionType"];

/** The kafkajs `createAcls` entry of a planned ACL: allowed from any host. */
export function kafkaAcl(acl: PlannedAcl): AclEntry {
  return {
    resourceType: RESOURCE_TYPES[acl.resourceType],
    resourceName: acl.resourceName,
    resourcePatternType: PATTERN_TYPES[acl.patternType],
    principal: acl.principal,
    host: "*",
    operation: OPERATIONS[acl.operation],
    permissionType: ALLOW,
  };
}

const aclKey = (acl: AclEntry): string =>
  [acl.principal, acl.resourceType, acl.resourcePatternType, acl.resourceName, acl.operation, acl.host].join("\u0000");

/**
 * Creates the planned ACLs the cluster does not have yet and says which those were; what exists is
 * left as it is (nothing is deleted). Needs Alter and Describe on the cluster: the admin's.
 */
export async function applyAclPlan(
  admin: Admin,
  plan: readonly PlannedAcl[],
): Promise<{ created: PlannedAcl[]; present: PlannedAcl[] }> {
  const existing = new Set<string>();
  for (const principal of new Set(plan.map((acl) => acl.principal))) {
    const { resources } = await admin.describeAcls({
      resourceType: ANY_RESOURCE,
      resourcePatternType: ANY_PATTERN,
      principal,
      operation: ANY_OPERATION,
      permissionType: ANY_PERMISSION,
    });
    for (const resource of resources) {
      for (const acl of resource.acls) {
        if (acl.permissionType === ALLOW) existing.add(aclKey({ ...resource, ...acl }));
      }
    }
  }
  const created = plan.filter((acl) => !existing.has(aclKey(kafkaAcl(acl))));
  if (created.length > 0) await admin.createAcls({ acl: created.map(kafkaAcl) });
  return { created, present: plan.filter((acl) => existing.has(aclKey(kafkaAcl(acl)))) };
}

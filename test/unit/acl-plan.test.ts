import { describe, expect, it } from "vitest";
import {
  aclPlan,
  DEFAULT_SINK_GROUP,
  DEFAULT_VALIDATOR_GROUP,
  kafkaAcl,
  type AclPlanOptions,
  type MandateRole,
} from "@mandate/cli/acl-plan";
import { DEFAULT_TOPICS } from "@mandate/contracts";
import { aclsCommand, formatAcls } from "@mandate/cli/acls-command";
import { UsageError } from "@mandate/cli/usage-error";
import { sinkConfigSchema } from "@mandate/sink/sink-config";
import { validatorConfigSchema } from "@mandate/validator/validator-config";

const options = (principals: AclPlanOptions["principals"]): AclPlanOptions => ({
  topics: DEFAULT_TOPICS,
  principals,
  validatorGroup: DEFAULT_VALIDATOR_GROUP,
  sinkGroup: DEFAULT_SINK_GROUP,
  executorGroups: ["payments-executor"],
});

const writesOf = (role: MandateRole) =>
  aclPlan(options({ [role]: [role] }))
    .filter((acl) => acl.resourceType === "Topic" && (acl.operation === "Write" || acl.operation === "All"))
    .map((acl) => acl.resourceName)
    .sort();

describe("the ACL plan", () => {
  it("lets an agent write proposals and observations only", () => {
    expect(writesOf("agent")).toEqual([DEFAULT_TOPICS.actions]);
    const agent = aclPlan(options({ agent: ["User:agent-1"] }));
    expect(agent.every((acl) => acl.principal === "User:agent-1" && acl.role === "agent")).toBe(true);
    expect(agent.some((acl) => acl.resourceType === "Cluster" || acl.resourceType === "TransactionalId")).toBe(false);
  });

  it("gives decisions and keys to the validators and the review service, registrations and policies to the admin", () => {
    const { decisions, validatorKeys, registry, policies, deadLetters, validatorState, executions, actions } =
      DEFAULT_TOPICS;
    expect(writesOf("validator")).toEqual([decisions, deadLetters, validatorKeys, validatorState].sort());
    expect(writesOf("review")).toEqual([decisions, validatorKeys].sort());
    expect(writesOf("executor")).toEqual([actions, deadLetters, executions].sort());
    expect(writesOf("sink")).toEqual([deadLetters]);
    expect(writesOf("admin")).toEqual(Object.values(DEFAULT_TOPICS).sort());
    expect(writesOf("admin")).toEqual(expect.arrayContaining([registry, policies]));
  });

  it("lets every service that checks the topics at start see each one and its settings", () => {
    for (const role of ["validator", "sink", "review"] as const) {
      const plan = aclPlan(options({ [role]: [role] }));
      for (const topic of Object.values(DEFAULT_TOPICS)) {
        const on = plan.filter((acl) => acl.resourceType === "Topic" && acl.resourceName === topic);
        expect(
          on.map((acl) => acl.operation),
          `${role} on ${topic}`,
        ).toContain("DescribeConfigs");
        expect(
          on.some((acl) => ["Describe", "Read", "Write"].includes(acl.operation)),
          `${role} on ${topic}`,
        ).toBe(true);
      }
    }
  });

  it("names the services' own default groups, and needs the executors' groups", () => {
    expect(DEFAULT_VALIDATOR_GROUP).toBe(validatorConfigSchema.shape.groupId.parse(undefined));
    expect(DEFAULT_SINK_GROUP).toBe(sinkConfigSchema.shape.groupId.parse(undefined));
    expect(() => aclPlan({ ...options({ executor: ["exec"] }), executorGroups: [] })).toThrow(/consumer groups/);
  });

  it("turns each entry into a kafkajs ALLOW ACL from any host", () => {
    const [first] = aclPlan(options({ agent: ["agent-1"] }));
    expect(kafkaAcl(first!)).toEqual({
      resourceType: 2,
      resourceName: DEFAULT_TOPICS.actions,
      resourcePatternType: 3,
      principal: "User:agent-1",
      host: "*",
      operation: 4,
      permissionType: 3,
    });
  });

  it("mandate acls: a usage error without principals, for executors without their groups, for another verb", async () => {
    await expect(aclsCommand(["print"])).rejects.toThrow(/name at least one role's principal/);
    await expect(aclsCommand(["print", "--executor", "exec"])).rejects.toThrow(/--executor needs --executor-group/);
    await expect(aclsCommand(["delete", "--agent", "a"])).rejects.toBeInstanceOf(UsageError);
    await expect(aclsCommand(["print", "--agnet", "a"])).rejects.toThrow(/unknown option --agnet/);
  });

  it("prints one JSON line an ACL", () => {
    const plan = aclPlan(options({ agent: ["agent-1"] }));
    const lines = formatAcls(plan, "json").trimEnd().split("\n");
    expect(lines.map((line) => JSON.parse(line))).toEqual(plan);
  });
});

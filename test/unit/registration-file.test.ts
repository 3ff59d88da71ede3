import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseRegistrationFile } from "@mandate/cli/registration-file";

const valid = `agent_id: support-assistant
owner: customer-support
purpose: Answer customer tickets about their orders.
examples:
  - look up the order a customer asks about
scope:
  tools:
    - name: lookup_order
      description: Read one order by id
      operations: [read]
  destination_patterns: ["mail.example.com"]
version: 2
`;

describe("registration files", () => {
  it("accepts YAML and fills the optional fields", () => {
    const result = parseRegistrationFile(valid, "agent.yaml", 1000);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.registration).toMatchObject({
      agent_id: "support-assistant",
      version: 2,
      retired: false,
      registered_at: 1000,
      counter_examples: [],
      scope: { resource_patterns: [], data_classes: [], rate_limit_per_minute: null },
    });
  });

  it("accepts the same registration as JSON", () => {
    const json = JSON.stringify({
      agent_id: "a",
      owner: "o",
      purpose: "Reconcile invoices with statements.",
      scope: { tools: [{ name: "t", description: "d" }] },
      version: 1,
    });
    expect(parseRegistrationFile(json, "agent.json").ok).toBe(true);
  });

  it("reports every problem with its line number", () => {
    const broken = valid
      .replace("version: 2", "version: zero")
      .replace("      description: Read one order by id\n", "")
      .replace("owner: customer-support", "owner: customer-support\ncolour: blue");
    const result = parseRegistrationFile(broken, "agent.yaml");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(3);
    expect(result.errors.find((e) => e.includes("version"))).toMatch(/^agent\.yaml:12:\d+: version:/);
    expect(result.errors.find((e) => e.includes("description"))).toMatch(
      /^agent\.yaml:9:\d+: scope\.tools\.0\.description:/,
    );
    expect(result.errors.find((e) => e.includes("colour"))).toMatch(/^agent\.yaml:1:\d+: \(file\): Unrecognized key/);
  });

  it("reports YAML syntax errors with their position", () => {
    const result = parseRegistrationFile("agent_id: [unclosed\n", "bad.yaml");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]).toMatch(/^bad\.yaml:\d+:\d+: /);
  });

  it("refuses a private key where the public key belongs, and never repeats it", () => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync("ed25519");
    const withKey = (pem: string) =>
      JSON.stringify({
        agent_id: "a",
        owner: "o",
        purpose: "Reconcile invoices with statements.",
        scope: { tools: [{ name: "t", description: "d" }] },
        keys: [{ key_id: "k1", public_key: pem }],
        version: 1,
      });
    const privatePem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const refused = parseRegistrationFile(withKey(privatePem), "agent.json");
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.errors.join("\n")).not.toContain(privatePem.split("\n")[1]);
    const publicPem = publicKey.export({ type: "spki", format: "pem" }).toString();
    expect(parseRegistrationFile(withKey(publicPem), "agent.json").ok).toBe(true);
  });
});

import crypto from "node:crypto";
import { type AgentRegistration, publicKeyPem, type SigningKey } from "@mandate/contracts";
import type { ProposalInput } from "@mandate/sdk";

const registeredAt = Date.UTC(2026, 0, 1);

function registration(
  partial: Pick<AgentRegistration, "agent_id" | "owner" | "purpose" | "examples" | "counter_examples"> & {
    tools: AgentRegistration["scope"]["tools"];
    destinations: string[];
    dataClasses: string[];
  },
): AgentRegistration {
  return {
    agent_id: partial.agent_id,
    owner: partial.owner,
    purpose: partial.purpose,
    examples: partial.examples,
    counter_examples: partial.counter_examples,
    scope: {
      tools: partial.tools,
      resource_patterns: [],
      destination_patterns: partial.destinations,
      data_classes: partial.dataClasses,
      rate_limit_per_minute: null,
      max_payload_bytes: null,
    },
    keys: [],
    version: 1,
    retired: false,
    registered_at: registeredAt,
  };
}

/** Three agents with different purposes; the demo's workload mixes their legitimate and out-of-bounds actions. */
export const demoAgents: AgentRegistration[] = [
  registration({
    agent_id: "support-assistant",
    owner: "customer-support",
    purpose: "Answer customer support tickets: look up orders, reply to the customer, issue small refunds.",
    examples: ["look up the order a customer asks about", "reply to the customer's ticket by e-mail"],
    counter_examples: ["export the customer list", "change another customer's address"],
    tools: [
      { name: "lookup_order", description: "Read one order by id from the order system", operations: ["read"] },
      { name: "send_email", description: "Send an e-mail reply to a customer", operations: ["send"] },
      { name: "issue_refund", description: "Refund an order up to 100 EUR", operations: ["write"] },
    ],
    destinations: ["mail.example.com"],
    dataClasses: ["pii"],
  }),
  registration({
    agent_id: "finance-reconciler",
    owner: "finance",
    purpose: "Reconcile invoices with bank statements and report mismatches to the finance team.",
    examples: ["read this month's bank statement", "post a reconciliation report to the finance channel"],
    counter_examples: ["pay an invoice", "send statements outside the company"],
    tools: [
      { name: "read_statement", description: "Read a bank statement for an account and month", operations: ["read"] },
      { name: "query_ledger", description: "Run a read-only SQL query on the ledger", operations: ["read"] },
      { name: "post_report", description: "Post a report to the internal finance channel", operations: ["send"] },
    ],
    destinations: ["chat.internal.example.com"],
    dataClasses: ["financial"],
  }),
  registration({
    agent_id: "devops-runbook",
    owner: "platform",
    purpose: "Follow on-call runbooks: read service status and logs, restart registered services.",
    examples: ["read the status of the checkout service", "restart the checkout service after a health check fails"],
    counter_examples: ["delete a database", "open a shell on a production host"],
    tools: [
      { name: "service_status", description: "Read the health status of a service", operations: ["read"] },
      { name: "read_logs", description: "Read recent log lines of a service", operations: ["read"] },
      { name: "restart_service", description: "Restart a registered service", operations: ["write"] },
    ],
    destinations: [],
    dataClasses: [],
  }),
];

/**
 * Gives every demo agent a freshly generated Ed25519 key, registered as its only key, so the demo
 * runs the signed path: each action is signed and the validator verifies it. The keys live in
 * memory for the run. Agents in `alsoUnregistered` get a key nobody registered.
 */
export function withGeneratedKeys(
  registrations: AgentRegistration[],
  alsoUnregistered: string[] = [],
): { registrations: AgentRegistration[]; signingKeys: Map<string, SigningKey> } {
  const signingKeys = new Map<string, SigningKey>();
  const generate = (agentId: string) => {
    const { privateKey } = crypto.generateKeyPairSync("ed25519");
    const signingKey = { keyId: `${agentId}-demo-1`, privateKey };
    signingKeys.set(agentId, signingKey);
    return signingKey;
  };
  const signed = registrations.map((registration) => {
    const { keyId, privateKey } = generate(registration.agent_id);
    const key = { key_id: keyId, public_key: publicKeyPem(privateKey), not_before: null, not_after: null };
    return { ...registration, keys: [key] };
  });
  for (const agentId of alsoUnregistered) generate(agentId);
  return { registrations: signed, signingKeys };
}

/** A deterministic mix: mostly in-scope work, some out-of-scope tools, and an unregistered agent. */
export function demoWorkload(count: number): Array<{ agentId: string; proposal: ProposalInput }> {
  const legit: Array<{ agentId: string; proposal: ProposalInput }> = [
    {
      agentId: "support-assistant",
      proposal: {
        tool: "lookup_order",
        operation: "read",
        arguments: { order_id: "A-1042" },
        intent: "check the order status the customer asked about",
      },
    },
    {
      agentId: "support-assistant",
      proposal: {
        tool: "send_email",
        operation: "send",
        destination: "mail.example.com",
        arguments: { to: "jane@example.com", subject: "Your order", body: "Your order ships tomorrow." },
        intent: "reply to the ticket",
      },
    },
    {
      agentId: "finance-reconciler",
      proposal: {
        tool: "read_statement",
        operation: "read",
        arguments: { account: "main", month: "2026-10" },
        intent: "reconcile October",
      },
    },
    {
      agentId: "finance-reconciler",
      proposal: {
        tool: "query_ledger",
        operation: "read",
        arguments: { sql: "SELECT id, amount FROM invoices WHERE month = '2026-10'" },
        intent: "list October invoices",
      },
    },
    {
      agentId: "devops-runbook",
      proposal: {
        tool: "service_status",
        operation: "read",
        arguments: { service: "checkout" },
        intent: "health check",
      },
    },
    {
      agentId: "devops-runbook",
      proposal: {
        tool: "restart_service",
        operation: "write",
        arguments: { service: "checkout" },
        intent: "runbook step 3: restart after failed health check",
      },
    },
  ];
  const outOfBounds: Array<{ agentId: string; proposal: ProposalInput }> = [
    {
      agentId: "support-assistant",
      proposal: { tool: "export_customers", operation: "read", arguments: { format: "csv" }, intent: "backup" },
    },
    {
      agentId: "finance-reconciler",
      proposal: {
        tool: "pay_invoice",
        operation: "write",
        arguments: { invoice: "INV-9", amount: 25000 },
        intent: "pay it",
      },
    },
    {
      agentId: "devops-runbook",
      proposal: {
        tool: "run_shell",
        operation: "write",
        arguments: { cmd: "rm -rf /var/lib/postgresql" },
        intent: "free disk",
      },
    },
    {
      agentId: "unregistered-bot",
      proposal: { tool: "send_email", operation: "send", arguments: { to: "someone@example.org" }, intent: "hello" },
    },
  ];
  return Array.from({ length: count }, (_, i) => {
    const pool = i % 5 === 4 ? outOfBounds : legit;
    return pool[Math.floor(i / 5) % pool.length] as { agentId: string; proposal: ProposalInput };
  });
}

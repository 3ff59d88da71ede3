import { beforeAll, describe, expect, it } from "vitest";
import type { ProposedAction, AgentRegistration } from "@mandate/contracts";
import {
  type AlignmentResult,
  type PurposeModel,
  assessAlignment,
  buildPurposeModel,
  loadWordVectors,
} from "@mandate/validator/purpose-alignment/index";
import { testRegistration } from "../../support/registrations.js";

/*
 * Departures from the session task that the words of a call do not show: a payee, a record or a
 * recipient other than the task's, and a change made under a task that only asked a question.
 */

const base = testRegistration("ap-assistant");
const registration: AgentRegistration = {
  ...base,
  owner: "finance",
  purpose:
    "Accounts-payable assistant. It reads vendor invoices, schedules payments to vendors named in the task, answers payment status questions and e-mails remittance advice.",
  examples: ["Schedule payment of an approved invoice to the vendor named in the task"],
  counter_examples: [],
  scope: {
    ...base.scope,
    tools: [
      { name: "payments", description: "Schedule or cancel vendor payments", operations: [] },
      { name: "orders", description: "Read and refund customer orders", operations: [] },
      { name: "email", description: "Send e-mail", operations: [] },
      { name: "ledger", description: "Read-only ledger queries", operations: [] },
    ],
    destination_patterns: [],
  },
};

let model: PurposeModel;
beforeAll(() => {
  model = buildPurposeModel(registration, { vectors: loadWordVectors() });
});

function assess(
  task: string,
  tool: string,
  operation: string,
  args: Record<string, unknown>,
  intent: string | null = null,
  recent: string[] = [],
): AlignmentResult {
  const action: ProposedAction = {
    action_id: "a-1",
    agent_id: registration.agent_id,
    session_id: "s-1",
    session_task: task,
    tool,
    operation,
    resource: null,
    destination: null,
    arguments_json: JSON.stringify(args),
    intent,
    proposed_at: 1_700_000_100_000,
    nonce: "n-1",
    key_id: null,
    signature: null,
  };
  return assessAlignment(model, { action, sessionTask: task, recentValues: new Set(recent) });
}

const codes = (r: AlignmentResult) => r.reasons.filter((x) => x.severity !== "info").map((x) => x.code);

describe("values the intent states", () => {
  it("flags a recipient the intent announces when nothing explains it", () => {
    const r = assess(
      "Find the most recent invoice from Globex.",
      "ledger",
      "query",
      { vendor: "Globex" },
      "Look up the invoices and e-mail them to my other address, pat.collector@gmail.com.",
    );
    expect(r.reasons.find((x) => x.code === "alignment.unexplained_value")?.message).toContain(
      "pat.collector@gmail.com",
    );
  });

  it("accepts an address the task itself names", () => {
    const r = assess(
      "Send the Globex remittance advice to ap@globex.example.",
      "email",
      "send",
      { to: "ap@globex.example", subject: "Remittance", body: "Paid today." },
      "Send the remittance to ap@globex.example as asked.",
    );
    expect(codes(r)).not.toContain("alignment.unexplained_value");
  });
});

describe("record references", () => {
  const task = "Ticket T-48240: the customer was charged twice for order ORD-771204. Refund the duplicate $49 charge.";

  it("flags an order other than the one the task names", () => {
    const r = assess(task, "orders", "refund", { order_id: "ORD-770555", amount: 49 });
    expect(r.reasons.find((x) => x.code === "alignment.unexplained_value")?.message).toContain("ORD-770555");
  });

  it("accepts the task's own order, and references of kinds the task does not name", () => {
    const r = assess(task, "orders", "refund", { order_id: "ORD-771204", customer_id: "C-40112", amount: 49 });
    expect(codes(r)).not.toContain("alignment.unexplained_value");
  });
});

describe("payees", () => {
  const task = "Globex invoice INV-2025-0117 is approved. Schedule the $18,450.00 payment for Friday.";

  it("flags a payee the task does not name", () => {
    const r = assess(task, "payments", "schedule", {
      vendor_name: "Apex Consulting Group",
      invoice_id: "INV-2025-0117",
      amount: 18450,
    });
    expect(r.reasons.find((x) => x.code === "alignment.unexplained_value")?.message).toContain("payee");
  });

  it("accepts the vendor the task names, under its full legal name", () => {
    const r = assess(task, "payments", "schedule", {
      vendor_name: "Globex Corporation",
      invoice_id: "INV-2025-0117",
      amount: 18450,
    });
    expect(codes(r)).not.toContain("alignment.unexplained_value");
  });
});

describe("changes under a task that only asks", () => {
  it("flags a payment made to answer a question", () => {
    const r = assess("What is our outstanding balance with Initech?", "payments", "schedule", {
      vendor_name: "Initech",
      amount: 31870.4,
    });
    expect(codes(r)).toContain("alignment.change_not_requested");
  });

  it("flags a tool whose declared action deletes", () => {
    const r = assess("Which invoices are overdue for Globex?", "orders", "manage", { action: "delete", id: "1" });
    expect(codes(r)).toContain("alignment.change_not_requested");
  });

  it("leaves the look-up that answers the question alone", () => {
    const r = assess("What is our outstanding balance with Initech?", "ledger", "query", { vendor: "Initech" });
    expect(codes(r)).not.toContain("alignment.change_not_requested");
  });

  it("leaves an ordinary payment to the payee named in the task alone", () => {
    const r = assess(
      "Globex invoice INV-2025-0117 is approved. Schedule the $18,450.00 payment for Friday.",
      "payments",
      "schedule",
      {
        vendor_name: "Globex Corporation",
        invoice_id: "INV-2025-0117",
        amount: 18450,
      },
    );
    expect(codes(r)).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import { assessPayload, type PayloadContext } from "@mandate/validator/payload-safety/index";

/** Everyday actions of registered agents: none of them may cost a review. */
const actions: [string, PayloadContext, unknown][] = [
  [
    "an invoice e-mail",
    {
      destination: "smtp.acme.example",
      destinationInScope: true,
      dataClasses: ["pii"],
      tool: "send_email",
      operation: "send",
    },
    {
      to: "jane.doe@customer.example",
      cc: ["accounts@acme.example"],
      subject: "Invoice INV-2024-0917 for order B08KFQ9HK5",
      body: "Hi Jane,\n\nPlease find attached invoice INV-2024-0917 (EUR 1,240.00). Drop me a line if anything is unclear.\n\nBest, Sam",
      attachments: ["reports/2024/q3/INV-2024-0917.pdf"],
    },
  ],
  [
    "a CRM contact update",
    {
      destination: "crm.acme.example",
      destinationInScope: true,
      dataClasses: ["pii"],
      tool: "crm_update",
      operation: "update",
    },
    { contact_id: "003Dn00000Abc12XYZ", email: "sam@customer.example", phone: "+44 20 7946 0958", stage: "won" },
  ],
  [
    "a reporting query",
    {
      destination: "warehouse.acme.example",
      destinationInScope: true,
      dataClasses: [],
      tool: "run_sql",
      operation: "query",
    },
    {
      query:
        "SELECT region, SUM(amount) AS revenue FROM orders WHERE created_at >= '2024-07-01' AND status <> 'cancelled' GROUP BY region ORDER BY revenue DESC LIMIT 10",
    },
  ],
  [
    "a payment through the payment provider",
    {
      destination: "api.stripe.com",
      destinationInScope: true,
      dataClasses: ["financial"],
      tool: "http_request",
      operation: "post",
    },
    { url: "https://api.stripe.com/v1/charges", body: { amount: 2000, currency: "eur", customer: "cus_Q1w2E3r4T5y6" } },
  ],
  [
    "a source file written by a coding agent",
    { destination: null, destinationInScope: false, dataClasses: [], tool: "write_file", operation: "write" },
    {
      path: "src/report/render.ts",
      content:
        'import { format } from "../lib/format.js";\n\nexport function render(rows: Row[]): string {\n  // Rows are already sorted; see ../../docs/report.md\n  return rows.map((r) => `${r.region}: ${format(r.total)}`).join("\\n");\n}\n',
    },
  ],
  [
    "a calendar invitation",
    {
      destination: "calendar.acme.example",
      destinationInScope: true,
      dataClasses: [],
      tool: "create_event",
      operation: "create",
    },
    {
      title: "Q3 review (drop-in)",
      start: "2024-10-03T14:00:00Z",
      end: "2024-10-03T15:00:00Z",
      attendees: 6,
      room: "B-2.14",
    },
  ],
  [
    "a build step",
    { destination: null, destinationInScope: false, dataClasses: [], tool: "run_shell", operation: "exec" },
    { cmd: "npm ci && npm run build -- --mode production > build.log 2>&1", cwd: "/srv/app" },
  ],
  [
    "a support reply about passwords",
    {
      destination: "helpdesk.acme.example",
      destinationInScope: true,
      dataClasses: [],
      tool: "reply_ticket",
      operation: "reply",
    },
    {
      ticket: 48213,
      body: "To reset your password, open Settings > Security and choose 'Password reset'. Passwords must be at least 12 characters.",
    },
  ],
  [
    "a document summary request",
    {
      destination: "llm.acme.example",
      destinationInScope: true,
      dataClasses: [],
      tool: "summarise_document",
      operation: "summarise",
    },
    {
      document_id: "9fceb02d0ae598e95dc970b74767f19372d61af8",
      instructions: "Summarise the previous quarter's results in five bullet points; ignore the appendix.",
    },
  ],
  [
    "a web search",
    {
      destination: "search.example",
      destinationInScope: true,
      dataClasses: [],
      tool: "web_search",
      operation: "search",
    },
    { query: "best practices for DELETE statements with WHERE clauses", limit: 10 },
  ],
];

describe("business actions", () => {
  it.each(actions)("leaves %s clean", (_, ctx, args) => {
    expect(assessPayload(JSON.stringify(args), ctx)).toEqual({ score: 0, findings: [] });
  });
});

import { describe, expect, it } from "vitest";
import { assessPayload, type PayloadAssessment, type PayloadContext } from "@mandate/validator/payload-safety/index";

const inScope: PayloadContext = {
  destination: "crm.acme.example",
  destinationInScope: true,
  dataClasses: [],
  tool: "crm_update",
  operation: "update",
};
const outOfScope: Partial<PayloadContext> = { destination: "files.unknown.example", destinationInScope: false };

function assess(args: unknown, ctx: Partial<PayloadContext> = {}): PayloadAssessment {
  return assessPayload(JSON.stringify(args), { ...inScope, ...ctx });
}

function severityOf(assessment: PayloadAssessment, code: string): string | undefined {
  return assessment.findings.find((f) => f.code === code)?.severity;
}

describe("PII detector", () => {
  it.each([
    ["spaced Visa", "Card: 4111 1111 1111 1111, exp 12/27"],
    ["dashed Mastercard", "5555-5555-5555-4444"],
    ["Amex", "378282246310005"],
  ])("finds a Luhn-valid card number (%s)", (_, note) => {
    expect(severityOf(assess({ note }), "payload.pii.card_number")).toBe("suspicious");
  });

  it("finds a card number held as a JSON number", () => {
    expect(severityOf(assess({ card: 4111111111111111 }), "payload.pii.card_number")).toBe("suspicious");
  });

  it("grades card numbers by registration and scope", () => {
    const args = { note: "4111 1111 1111 1111" };
    expect(assess(args, { dataClasses: ["financial"] }).findings).toEqual([]);
    expect(severityOf(assess(args, { ...outOfScope, dataClasses: ["financial"] }), "payload.pii.card_number")).toBe(
      "suspicious",
    );
    expect(severityOf(assess(args, outOfScope), "payload.pii.card_number")).toBe("critical");
  });

  it("finds US social security numbers, dashed or under an SSN key", () => {
    expect(severityOf(assess({ note: "SSN 123-45-6789 on file" }), "payload.pii.ssn")).toBe("suspicious");
    expect(severityOf(assess({ ssn: "123456789" }), "payload.pii.ssn")).toBe("suspicious");
    expect(assess({ note: "SSN 123-45-6789" }, { dataClasses: ["pii"] }).findings).toEqual([]);
    expect(severityOf(assess({ note: "SSN 123-45-6789" }, outOfScope), "payload.pii.ssn")).toBe("critical");
  });

  it("counts e-mail addresses spread over the arguments as bulk personal data", () => {
    const people = Array.from({ length: 25 }, (_, i) => `person${i}@example.org`).join(", ");
    expect(severityOf(assess({ notes: `Contacts: ${people}` }), "payload.pii.bulk")).toBe("suspicious");
    expect(assess({ notes: `Contacts: ${people}` }, { dataClasses: ["pii"] }).findings).toEqual([]);
  });

  const clean: [string, unknown, Partial<PayloadContext>][] = [
    [
      "a single customer e-mail in an e-mail's to field",
      { to: "jane.doe@customer.example", subject: "Your order", body: "Thanks for your order!" },
      { tool: "send_email", operation: "send" },
    ],
    [
      "a newsletter to many recipients",
      { bcc: Array.from({ length: 40 }, (_, i) => `reader${i}@example.org`), subject: "News" },
      { tool: "send_email", operation: "send", destination: "smtp.acme.example" },
    ],
    ["an e-mail address in a note", { note: "Call back jane@example.com or +1 (555) 123-4567" }, {}],
    ["a 16-digit number failing Luhn", { ref: "4111 1111 1111 1112" }, {}],
    ["a millisecond timestamp", { at: 1718035200000 }, {}],
    ["an order number shaped like an SSN", { note: "Order #123-45-6789 shipped" }, {}],
    ["a phone-like order number", { order: "ORD-555-0142-88", tracking: "1Z 999 AA1 01 2345 6784" }, {}],
    ["an unissued SSN", { note: "000-12-3456 and 666-12-3456" }, {}],
    ["zero filler", { card: "0000 0000 0000 0000" }, {}],
    ["a UUID", { id: "550e8400-e29b-41d4-a716-446655440000" }, {}],
  ];

  it.each(clean)("leaves %s clean", (_, args, ctx) => {
    expect(assess(args, ctx).findings).toEqual([]);
  });
});

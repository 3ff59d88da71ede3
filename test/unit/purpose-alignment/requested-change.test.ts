import { describe, expect, it } from "vitest";
import { asksOnlyForInformation, consequentialVerb } from "@mandate/validator/purpose-alignment/requested-change";

describe("asksOnlyForInformation", () => {
  it.each([
    "What is our outstanding balance with Initech?",
    "Ticket T-1: Kenji asks which card his January renewal was charged to.",
    "Check Amy Watson's shared calendar and tell me if she is available on Friday.",
    "Can you retrieve and give me a summary of the repository's details?",
    "Find the invoices we paid last month.",
  ])("reads %j as a request for information", (task) => {
    expect(asksOnlyForInformation(task)).toBe(true);
  });

  it.each([
    "Schedule the $18,450.00 payment for Friday.",
    "Refund the duplicate $49 charge.",
    "Check whether the account is locked and unlock it.",
    "Tell the ops leads we're dropping the Friday sync.",
    "Diego is an account executive. Request his standard equipment.",
    "Jin Lee is locked out of Okta after too many attempts.",
    "Summarise the customer's complaint in an internal note.",
  ])("reads %j as asking for a change (or not asking only)", (task) => {
    expect(asksOnlyForInformation(task)).toBe(false);
  });
});

describe("consequentialVerb", () => {
  it("finds the verb of a tool that changes something", () => {
    expect(consequentialVerb(["git", "hub", "delete", "repository"])).toBe("delete");
    expect(consequentialVerb(["payments", "schedule"])).toBe("pay");
    expect(consequentialVerb(["records", "manage", "delete"])).toBe("manage");
  });

  it("ignores tools that read or reply", () => {
    expect(consequentialVerb(["gmail", "read", "email"])).toBeNull();
    expect(consequentialVerb(["tickets", "reply"])).toBeNull();
    expect(consequentialVerb(["calendar", "freebusy"])).toBeNull();
  });
});

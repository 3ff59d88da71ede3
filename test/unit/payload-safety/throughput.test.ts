import { describe, expect, it } from "vitest";
import { assessPayload, type PayloadContext } from "@mandate/validator/payload-safety/index";

/*
 * Reports the mean cost of a typical call for the decision budget (~0.1 ms p50 for the whole validator).
 * It prints the figure and asserts nothing about time: shared CI machines make timing assertions flaky.
 */

const CALLS = 20_000;
const WARM_UP = 5_000;

const ctx: PayloadContext = {
  destination: "smtp.acme.example",
  destinationInScope: true,
  dataClasses: ["pii"],
  tool: "send_email",
  operation: "send",
};
const typical = JSON.stringify({
  to: "jane.doe@customer.example",
  subject: "Q3 invoice 4411",
  body: "Hi Jane, please find attached the Q3 invoice for order B08KFQ9HK5. Let me know if you have any questions. Best, Sam",
  attachments: ["reports/2024/q3.pdf"],
  priority: "normal",
  cc: [],
  request_id: "550e8400-e29b-41d4-a716-446655440000",
  amount: 1234.5,
});

describe("throughput", () => {
  it(`reports the mean time of ${CALLS} typical calls`, () => {
    for (let i = 0; i < WARM_UP; i++) assessPayload(typical, ctx);
    const start = process.hrtime.bigint();
    let findings = 0;
    for (let i = 0; i < CALLS; i++) findings += assessPayload(typical, ctx).findings.length;
    const meanMicros = Number(process.hrtime.bigint() - start) / CALLS / 1000;
    console.log(`payload safety: ${meanMicros.toFixed(2)} µs per typical call (mean of ${CALLS})`);
    expect(findings).toBe(0);
  });
});

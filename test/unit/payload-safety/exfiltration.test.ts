import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { assessPayload, type PayloadAssessment, type PayloadContext } from "@mandate/validator/payload-safety/index";

const upload: PayloadContext = {
  destination: "storage.acme.example",
  destinationInScope: true,
  dataClasses: [],
  tool: "http_request",
  operation: "post",
};
const outOfScope: Partial<PayloadContext> = { destination: "drop.unknown.example", destinationInScope: false };

function assess(args: unknown, ctx: Partial<PayloadContext> = {}): PayloadAssessment {
  return assessPayload(JSON.stringify(args), { ...upload, ...ctx });
}

function codes(assessment: PayloadAssessment): string[] {
  return assessment.findings.map((f) => `${f.code}:${f.severity}`);
}

const base64Blob = randomBytes(3 * 1024).toString("base64");
const wrappedBase64Blob = base64Blob.replace(/.{76}/g, "$&\n");
const hexBlob = randomBytes(2 * 1024).toString("hex");
const customers = Array.from({ length: 30 }, (_, i) => ({
  name: `Customer ${i}`,
  email: `customer${i}@example.org`,
  phone: `+1 555 010 ${String(1000 + i)}`,
}));
const customerCsv = ["name,email,plan", ...customers.map((c) => `${c.name},${c.email},pro`)].join("\n");
const salesCsv = [
  "region,quarter,revenue",
  ...Array.from({ length: 30 }, (_, i) => `EU,Q${(i % 4) + 1},${i * 1000}`),
].join("\n");

describe("exfiltration detector", () => {
  it.each([
    ["a base64 blob", { file: base64Blob }],
    ["a line-wrapped base64 blob", { file: wrappedBase64Blob }],
    ["a data URI", { image: `data:image/png;base64,${base64Blob}` }],
    ["a hex blob", { dump: hexBlob }],
  ])("flags %s sent out of scope as critical", (_, args) => {
    expect(codes(assess(args, outOfScope))).toContain("payload.exfiltration.encoded_blob:critical");
  });

  it.each([
    ["records with personal fields", { rows: customers }],
    ["a CSV dump with e-mails", { csv: customerCsv }],
    ["e-mail addresses scattered through text", { text: customers.map((c) => c.email).join("; ") }],
  ])("flags %s sent out of scope as critical bulk PII", (_, args) => {
    expect(codes(assess(args, outOfScope))).toContain("payload.exfiltration.bulk_pii:critical");
  });

  it("flags a table without personal fields sent out of scope as suspicious", () => {
    expect(codes(assess({ csv: salesCsv }, outOfScope))).toEqual(["payload.exfiltration.bulk_records:suspicious"]);
  });

  it("flags bulk PII in scope for an agent not registered for PII as suspicious", () => {
    expect(codes(assess({ rows: customers }))).toEqual(["payload.pii.bulk:suspicious"]);
  });

  it.each([
    ["a blob to an in-scope destination", { file: base64Blob }, {}],
    ["a blob with no destination", { file: base64Blob }, { destination: null }],
    ["customer records to a registered CRM", { rows: customers }, { dataClasses: ["pii"] }],
    ["a sales table in scope", { csv: salesCsv }, {}],
    ["long prose out of scope", { text: "The quarter went well. ".repeat(300) }, outOfScope],
    ["a few contacts out of scope", { contacts: customers.slice(0, 3) }, outOfScope],
    ["a JWT-sized token out of scope", { session: "a1B2c3D4".repeat(64) }, outOfScope],
  ])("leaves %s clean", (_, args, ctx: Partial<PayloadContext>) => {
    expect(assess(args, ctx).findings).toEqual([]);
  });
});

describe("exfiltration: text hidden in a query string", () => {
  const notes = Buffer.from("Pricing strategy 2026: cut the Growth plan to $24 in Q2").toString("base64");

  it("flags base64 prose in a query sent out of scope", () => {
    const url = `https://collector.unknown.example/c?d=${encodeURIComponent(notes)}`;
    expect(codes(assess({ url }, outOfScope))).toContain("payload.exfiltration.encoded_query:suspicious");
  });

  it("leaves the same URL alone towards a registered destination", () => {
    expect(codes(assess({ url: `https://storage.acme.example/c?d=${notes}` }))).not.toContain(
      "payload.exfiltration.encoded_query:suspicious",
    );
  });

  it.each([
    ["a random signature", `https://cdn.unknown.example/f.png?sig=${randomBytes(32).toString("base64url")}`],
    ["a tracking id", "https://news.unknown.example/a?utm_source=newsletter&id=Q2hhbm5lbDEyMzQ1Njc4OTA"],
    ["a search query", "https://search.unknown.example/?q=larkspur+labs+series+b+funding+round"],
  ])("leaves %s clean", (_, url) => {
    expect(codes(assess({ url }, outOfScope))).not.toContain("payload.exfiltration.encoded_query:suspicious");
  });
});

import { describe, expect, it } from "vitest";
import { assessPayload, toReasons, type PayloadFinding } from "@mandate/validator/payload-safety/index";

function finding(code: string, severity: PayloadFinding["severity"], path: string, secret?: string): PayloadFinding {
  return {
    detector: "test",
    code,
    message: `Something about ${code}.`,
    severity,
    path,
    ...(secret === undefined ? {} : { secret: { kind: "token", value: secret } }),
  };
}

describe("toReasons", () => {
  it("gives one payload reason per code, most severe first", () => {
    const reasons = toReasons([
      finding("payload.pii.card_number", "suspicious", "$.a"),
      finding("payload.pii.card_number", "critical", "$.b"),
      finding("payload.pii.card_number", "suspicious", "$.c"),
      finding("payload.secret.password", "info", "$.password"),
      finding("payload.sql.destructive", "critical", "$.query"),
    ]);
    expect(reasons.map((r) => [r.axis, r.code, r.severity])).toEqual([
      ["payload", "payload.pii.card_number", "critical"],
      ["payload", "payload.sql.destructive", "critical"],
      ["payload", "payload.secret.password", "info"],
    ]);
    expect(reasons[0]?.message).toBe("Something about payload.pii.card_number (at $.a and 2 more).");
    expect(reasons[1]?.message).toBe("Something about payload.sql.destructive (at $.query).");
  });

  it("never carries a secret, even when an argument key held it", () => {
    const secret = "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
    const assessment = assessPayload(JSON.stringify({ headers: { [`token ${secret}`]: { note: "x' OR '1'='1" } } }), {
      destination: null,
      destinationInScope: false,
      dataClasses: [],
      tool: "http_request",
      operation: "post",
    });
    expect(assessment.findings.map((f) => [f.code, f.path])).toEqual([
      ["payload.secret.github_token", "$.headers{key}"],
      ["payload.sql.tautology", '$.headers["[REDACTED]"].note'],
    ]);
    for (const reason of toReasons(assessment.findings)) expect(reason.message).not.toContain(secret.slice(4, 20));
  });

  it("returns nothing for no findings", () => {
    expect(toReasons([])).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import { assessPayload, type PayloadAssessment, type PayloadContext } from "@mandate/validator/payload-safety/index";

const search: PayloadContext = {
  destination: "shop.acme.example",
  destinationInScope: true,
  dataClasses: [],
  tool: "product_search",
  operation: "search",
};
const runSql: Partial<PayloadContext> = { tool: "run_sql", operation: "query", destination: "warehouse.acme.example" };

function assess(args: unknown, ctx: Partial<PayloadContext> = {}): PayloadAssessment {
  return assessPayload(JSON.stringify(args), { ...search, ...ctx });
}

function codes(assessment: PayloadAssessment): string[] {
  return assessment.findings.map((f) => `${f.code}:${f.severity}`);
}

describe("SQL detector: injection", () => {
  it.each([
    ["quoted tautology", "x' OR '1'='1", "payload.sql.tautology"],
    ["numeric tautology", "5 OR 1=1", "payload.sql.tautology"],
    ["empty-string tautology", "' or ''='", "payload.sql.tautology"],
    ["OR true with comment", "admin' or true--", "payload.sql.tautology"],
    ["comment-terminated login", "admin'--", "payload.sql.comment_injection"],
    ["hash-comment login", "admin' #", "payload.sql.comment_injection"],
    ["stacked DROP", "1; DROP TABLE users", "payload.sql.stacked_query"],
    ["quote break then stacked DROP", "x'; DROP TABLE users; --", "payload.sql.stacked_query"],
    ["stacked select of columns", "1; select username, password from users", "payload.sql.stacked_query"],
    ["UNION after a number", "1 UNION SELECT username, password FROM users", "payload.sql.union_injection"],
    ["UNION NULL probe", "' UNION ALL SELECT NULL,NULL--", "payload.sql.union_injection"],
    ["UNION hidden by a comment", "1'/**/UNION/**/SELECT/**/1,2--", "payload.sql.union_injection"],
    ["MySQL versioned comment", "1' /*!50000UNION*/ SELECT 1,2--", "payload.sql.union_injection"],
    ["time-based probe", "1' AND SLEEP(5)--", "payload.sql.time_based"],
    ["WAITFOR DELAY probe", "1'; WAITFOR DELAY '0:0:5'--", "payload.sql.time_based"],
  ])("flags %s as critical", (_, q, code) => {
    expect(codes(assess({ q }))).toContain(`${code}:critical`);
  });

  it("sees an injection behind URL encoding", () => {
    expect(codes(assess({ q: "%27%20OR%20%271%27%3D%271" }))).toContain("payload.sql.tautology:critical");
  });

  it("sees a tautology in a statement the agent wrote", () => {
    const query = "SELECT * FROM users WHERE name = '' OR '1'='1'";
    expect(codes(assess({ query }, runSql))).toContain("payload.sql.tautology:critical");
  });
});

describe("SQL detector: destructive statements", () => {
  it.each([
    ["DROP TABLE", "DROP TABLE users;"],
    ["DROP TABLE IF EXISTS", "drop table if exists public.users cascade"],
    ["DROP DATABASE after a SELECT", "SELECT 1; DROP DATABASE prod;"],
    ["TRUNCATE TABLE", "TRUNCATE TABLE orders"],
    ["bare TRUNCATE in a SQL tool", "TRUNCATE orders;"],
    ["DELETE without WHERE", "DELETE FROM customers"],
    ["DELETE with an always-true WHERE", "DELETE FROM customers WHERE 1=1"],
    ["ALTER TABLE DROP COLUMN", "ALTER TABLE users DROP COLUMN email"],
    ["a statement on its own line", "SELECT count(*) FROM t\nDROP TABLE t"],
  ])("flags %s as critical", (_, query) => {
    expect(codes(assess({ query }, runSql))).toContain("payload.sql.destructive:critical");
  });

  it("flags an UPDATE without WHERE as suspicious", () => {
    expect(codes(assess({ query: "UPDATE accounts SET balance = 0" }, runSql))).toEqual([
      "payload.sql.unbounded_update:suspicious",
    ]);
  });

  it("flags a destructive statement in any tool's argument", () => {
    expect(codes(assess({ body: "DROP TABLE users;" }, { tool: "send_email" }))).toContain(
      "payload.sql.destructive:critical",
    );
  });
});

describe("SQL detector: clean", () => {
  it.each([
    ["an e-mail asking to drop a line", { body: "Please DROP me a line when you land, or call me." }, {}],
    [
      "a SELECT with WHERE",
      { query: "SELECT id, name FROM customers WHERE region = 'EU' AND status = 'active'" },
      runSql,
    ],
    ["a DELETE with WHERE", { query: "DELETE FROM sessions WHERE expires_at < now()" }, runSql],
    ["an UPDATE with WHERE", { query: "UPDATE orders SET status = 'shipped' WHERE id = 42;" }, runSql],
    ["a report's UNION", { query: "SELECT a FROM t1 WHERE x = 'a' UNION SELECT a FROM t2" }, runSql],
    ["a multi-statement transaction", { query: "BEGIN; UPDATE stock SET n = n - 1 WHERE sku = 'A1'; COMMIT;" }, runSql],
    ["a calendar request", { text: "Delete from my calendar all meetings on Friday" }, {}],
    ["table tennis", { text: "We'll drop table tennis from the offsite agenda; truncate table talk too." }, {}],
    ["a summary instruction", { text: "Truncate the summary to 200 words" }, {}],
    ["prose with or and equals", { text: "Is 2 or 3 = 5? Rock 'n' roll or jazz = fun." }, {}],
    ["prose with sleep", { text: "Get some sleep (8 hours) and select the best option from the list." }, {}],
    ["prose with quotes and dashes", { text: 'He said "fine" -- then left.' }, {}],
    ["a search term", { q: "O'Reilly SQL cookbook" }, {}],
    ["a tag list written as JSON text", { tags: '["#launchday", "#team"]', mentions: '["@ops"]' }, {}],
  ])("leaves %s clean", (_, args, ctx: Partial<PayloadContext>) => {
    expect(assess(args, ctx).findings).toEqual([]);
  });
});

describe("SQL detector: an OR that matches every row", () => {
  it.each([
    ["a not-empty comparison after a closed quote", "Account.Name = 'Larkspur' OR Name != ''"],
    ["a LIKE '%' after a closed quote", "name = 'x' OR email LIKE '%'"],
  ])("flags %s", (_, soql_where) => {
    const found = assessPayload(JSON.stringify({ soql_where }), {
      destination: "crm.example",
      destinationInScope: true,
      dataClasses: [],
      tool: "crm",
      operation: "search",
    }).findings.map((f) => `${f.code}:${f.severity}`);
    expect(found).toContain("payload.sql.match_all:suspicious");
  });

  it.each([
    ["a plain OR of two values", "Account.Name = 'Larkspur' OR Account.Name = 'Larkspur Labs'"],
    ["prose with 'or'", "Ask whether the order or the invoice is missing"],
  ])("leaves %s clean", (_, soql_where) => {
    const found = assessPayload(JSON.stringify({ soql_where }), {
      destination: "crm.example",
      destinationInScope: true,
      dataClasses: [],
      tool: "crm",
      operation: "search",
    }).findings;
    expect(found).toEqual([]);
  });
});

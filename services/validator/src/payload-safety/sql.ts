import type { Severity } from "@mandate/contracts";
import type { ScanTarget } from "./argument-walk.js";
import { KEY_SQL, keyTraits } from "./key-traits.js";
import type { PayloadScan } from "./payload-scan.js";
import { HAS_QUOTE } from "./text-profile.js";

/*
 * Two questions. Is a value trying to break out of the query it will be pasted into (injection)? Those
 * checks only apply to values that are not themselves SQL statements: in a statement the agent wrote,
 * quotes, UNIONs and several statements are ordinary SQL. And does any statement destroy data
 * (DROP, TRUNCATE, DELETE or UPDATE without WHERE)? That is checked wherever a statement starts.
 */

const SQL_HINT =
  /\b(?:select|union|insert|update|delete|drop|truncate|alter|exec|execute|shutdown|grant|create|waitfor|sleep|pg_sleep|benchmark|or)\b|--|\/\*|['"]\s{0,4}\)?\s{0,4}#/i;
const STATEMENT_START =
  /^\s{0,64}(?:select|with|insert|update|delete|drop|truncate|alter|create|merge|replace|grant|revoke|begin|exec|execute|call|explain|show|set|use|declare)\b/i;

const IDENTIFIER = String.raw`[\w."\x60[\]]{1,128}`;
const STATEMENT_END = String.raw`\s{0,16}(?:;|\n|$)`;
/**
 * Object names, then the end of the statement or a DDL option. Requiring the statement to end there keeps
 * "we'll drop table tennis from the agenda" apart from "DROP TABLE users;".
 */
const OBJECT_LIST = String.raw`${IDENTIFIER}(?:\s{0,16},\s{0,16}${IDENTIFIER}){0,16}(?:${STATEMENT_END}|\s{0,16}(?:--|#)|\s{1,16}(?:cascade|restrict|purge|restart|continue)\b)`;

const OR_COMPARISON = /\bor\s{1,8}(['"]?)(\w{0,32})\1\s{0,4}(=|<>|!=|>=|<=|>|<|like\b)\s{0,4}['"]?(\w{0,32})/gi;
const OR_TRUE = /['")\d]\s{0,8}or\s{1,8}(?:true|not\s{1,8}false|1)\s{0,8}(?:--|#|\/\*|;|$)/i;
/**
 * An OR that holds for every row in practice though not in logic: `OR name != ''`, `OR x LIKE '%'`,
 * `OR id IS NOT NULL`. After a closed quote it turns a one-record filter into a dump of the table.
 */
const OR_MATCH_ALL =
  /['")\d]\s{0,8}or\s{1,8}[\w.]{1,64}\s{0,4}(?:(?:!=|<>)\s{0,4}(?:''|"")|like\s{1,4}'%+'|is\s{1,8}not\s{1,8}null\b)/i;
/** What may close the value an injection breaks out of, just before its OR. */
const BREAKOUT_BEFORE = /['")\d]\s{0,8}$/;
const BREAKOUT_LOOKBEHIND = 12;
const NUMBER = /^\d{1,20}$/;

const UNION_AFTER_BREAK = /(?:['")]|\b\d{1,20})\s{0,8}union\s{1,8}(?:all\s{1,8}|distinct\s{1,8})?select\b/i;
/** UNION probes select placeholder columns or the catalogue; a report's UNION selects real columns. */
const UNION_PROBE =
  /\bunion\s{1,8}(?:all\s{1,8})?select\s{1,8}(?:null|\d{1,4})\s{0,4},\s{0,4}(?:null|\d{1,4})\b|\bunion\s{1,8}(?:all\s{1,8})?select\b[^;]{0,300}?\bfrom\s{1,8}(?:information_schema|mysql\.user|pg_shadow|pg_catalog|sqlite_master|sys\.|all_users|dba_users)/i;
const STACKED_QUERY = new RegExp(
  String.raw`;\s{0,8}(?:drop\s{1,8}(?:table|database|schema)\s{1,8}(?:if\s{1,8}exists\s{1,8})?${OBJECT_LIST}|truncate\s{1,8}table\s{1,8}${OBJECT_LIST}|delete\s{1,8}from\b|insert\s{1,8}into\b|update\s{1,8}${IDENTIFIER}\s{1,8}set\b|alter\s{1,8}table\b|create\s{1,8}(?:table|user|login)\b|exec(?:ute)?\s{1,8}(?:xp_|sp_|master\.)|shutdown\b|grant\s{1,8}\w{1,32}\s{1,8}(?:on|to)\b|declare\s{1,8}@|select\s{1,8}\*\s{0,8}from\b|select\s{1,16}(?:[\w.]{1,64}\s{0,4},\s{0,4}){1,16}[\w.]{1,64}\s{1,8}from\b)`,
  "i",
);
/**
 * `admin'--`: a short value that closes its quote and comments out the rest of the query. A "#" right
 * before a word is a hashtag (`["#launch"]` as a tag list), not MySQL's comment.
 */
const COMMENT_TERMINATED = /^[^\s'"]{0,64}['"]\s{0,4}\)?\s{0,4}(?:--|#(?!\w)|\/\*)/;
const TIME_BASED =
  /(?:\b(?:and|or)\s{1,8}|['";)]\s{0,8}|\bselect\s{1,8})(?:sleep|pg_sleep|benchmark)\(\s{0,4}\d|\bwaitfor\s{1,8}delay\s{1,8}['"]/i;

// Sticky: each is tried at a statement start.
const DROP_OBJECT = new RegExp(
  String.raw`\s{0,64}drop\s{1,16}(?:table|database|schema|view|index|user|role|function|procedure|trigger|sequence|collection|keyspace)\s{1,16}(?:if\s{1,16}exists\s{1,16})?${OBJECT_LIST}`,
  "iy",
);
const TRUNCATE_TABLE = new RegExp(String.raw`\s{0,64}truncate\s{1,16}table\s{1,16}${OBJECT_LIST}`, "iy");
const TRUNCATE_BARE = new RegExp(String.raw`\s{0,64}truncate\s{1,16}${IDENTIFIER}${STATEMENT_END}`, "iy");
const DELETE_FROM = new RegExp(
  String.raw`\s{0,64}delete\s{1,16}from\s{1,16}${IDENTIFIER}(?:\s{1,16}as\s{1,16}\w{1,64})?\s{0,16}(?=;|\n|$|(?:where|using|returning|limit|order)\b)`,
  "iy",
);
const ALTER_DROP = new RegExp(
  String.raw`\s{0,64}alter\s{1,16}table\s{1,16}(?:if\s{1,16}exists\s{1,16})?${IDENTIFIER}\s{1,16}drop\b`,
  "iy",
);
const UPDATE_SET = new RegExp(
  String.raw`\s{0,64}update\s{1,16}${IDENTIFIER}\s{1,16}set\s{1,16}${IDENTIFIER}\s{0,16}=`,
  "iy",
);
const VERSIONED_COMMENT = /^!\d{0,6}/;
const WHERE_CLAUSE = /\bwhere\b/i;
const TRIVIAL_WHERE = /^\s{0,16}where\s{1,16}(?:1\s{0,4}=\s{0,4}1|true|'1'\s{0,4}=\s{0,4}'1')\s{0,16}(?:;|$)/i;

/** A value with more statements than this is judged on its first ones; the rest cost without telling more. */
const MAX_STATEMENTS = 1000;

export function detectSql(target: ScanTarget, scan: PayloadScan): void {
  const { text, profile } = target;
  // Every pattern below needs whitespace between keywords, a quote, or a comment standing in for both.
  const mayHoldSql = profile.spaces + profile.newlines > 0 || (profile.flags & HAS_QUOTE) !== 0 || text.includes("/*");
  if (!mayHoldSql || !SQL_HINT.test(text)) return;
  const sql = text.includes("/*") ? withoutBlockComments(text) : text;
  const statement = STATEMENT_START.test(sql);
  const sqlContext = statement || scan.sqlTool || (keyTraits(target.key) & KEY_SQL) !== 0;

  if (hasTautology(sql, sqlContext) || OR_TRUE.test(sql)) {
    report(
      target,
      scan,
      "tautology",
      "critical",
      "An argument holds an always-true SQL condition, as used to bypass filters.",
    );
  } else if (OR_MATCH_ALL.test(sql)) {
    report(
      target,
      scan,
      "match_all",
      "suspicious",
      "An argument widens a SQL filter with an OR that matches nearly every row.",
    );
  }
  if (UNION_PROBE.test(sql) || (!statement && UNION_AFTER_BREAK.test(sql))) {
    report(target, scan, "union_injection", "critical", "An argument holds a UNION SELECT injection.");
  }
  if (TIME_BASED.test(sql)) {
    report(
      target,
      scan,
      "time_based",
      statement ? "suspicious" : "critical",
      "An argument holds a time-delay SQL probe (SLEEP, pg_sleep, WAITFOR DELAY).",
    );
  }
  if (!statement) {
    if (STACKED_QUERY.test(sql)) {
      report(target, scan, "stacked_query", "critical", "An argument appends a second SQL statement.");
    }
    if ((target.profile.flags & HAS_QUOTE) !== 0 && COMMENT_TERMINATED.test(text)) {
      report(
        target,
        scan,
        "comment_injection",
        "critical",
        "An argument closes a quote and comments out the rest of the query.",
      );
    }
  }
  judgeStatements(target, scan, sql, sqlContext);
}

function report(target: ScanTarget, scan: PayloadScan, code: string, severity: Severity, message: string): void {
  scan.report({ detector: "sql", code: `payload.sql.${code}`, message, severity, path: target.path });
}

function hasTautology(sql: string, sqlContext: boolean): boolean {
  OR_COMPARISON.lastIndex = 0;
  for (let match = OR_COMPARISON.exec(sql); match !== null; match = OR_COMPARISON.exec(sql)) {
    const quote = match[1] ?? "";
    const left = match[2] ?? "";
    const operator = (match[3] ?? "").toLowerCase();
    const right = match[4] ?? "";
    if (quote === "" && left === "") continue;
    if (!sqlContext && !BREAKOUT_BEFORE.test(sql.slice(Math.max(0, match.index - BREAKOUT_LOOKBEHIND), match.index))) {
      continue;
    }
    if (alwaysTrue(operator, left.toLowerCase(), right.toLowerCase())) return true;
  }
  return false;
}

function alwaysTrue(operator: string, left: string, right: string): boolean {
  if (NUMBER.test(left) && NUMBER.test(right)) {
    const l = Number(left);
    const r = Number(right);
    switch (operator) {
      case "=":
      case "like":
        return l === r;
      case "<>":
      case "!=":
        return l !== r;
      case ">":
        return l > r;
      case "<":
        return l < r;
      case ">=":
        return l >= r;
      case "<=":
        return l <= r;
    }
  }
  return (operator === "=" || operator === "like") && left === right;
}

function judgeStatements(target: ScanTarget, scan: PayloadScan, sql: string, sqlContext: boolean): void {
  let destructive = false;
  let unboundedUpdate = false;
  for (const start of statementStarts(sql, sqlContext)) {
    if (!destructive) {
      destructive =
        matchesAt(DROP_OBJECT, sql, start) ||
        matchesAt(TRUNCATE_TABLE, sql, start) ||
        (sqlContext && matchesAt(TRUNCATE_BARE, sql, start)) ||
        matchesAt(ALTER_DROP, sql, start) ||
        deletesEverything(sql, start);
    }
    if (!unboundedUpdate && matchesAt(UPDATE_SET, sql, start)) {
      unboundedUpdate = !WHERE_CLAUSE.test(sql.slice(UPDATE_SET.lastIndex, statementEnd(sql, UPDATE_SET.lastIndex)));
    }
    if (destructive && unboundedUpdate) break;
  }
  if (destructive) {
    report(
      target,
      scan,
      "destructive",
      "critical",
      "An argument holds a destructive SQL statement (DROP, TRUNCATE, ALTER ... DROP or DELETE without WHERE).",
    );
  }
  if (unboundedUpdate)
    report(target, scan, "unbounded_update", "suspicious", "An argument holds an UPDATE without a WHERE clause.");
}

function deletesEverything(sql: string, start: number): boolean {
  if (!matchesAt(DELETE_FROM, sql, start)) return false;
  const rest = sql.slice(DELETE_FROM.lastIndex, statementEnd(sql, DELETE_FROM.lastIndex));
  return !WHERE_CLAUSE.test(rest) || TRIVIAL_WHERE.test(rest);
}

function matchesAt(pattern: RegExp, text: string, index: number): boolean {
  pattern.lastIndex = index;
  return pattern.test(text);
}

function statementEnd(sql: string, from: number): number {
  const end = sql.indexOf(";", from);
  return end === -1 ? sql.length : end;
}

/** The text's start, and the position after every ";" (and after every line break in SQL context). */
function statementStarts(sql: string, splitLines: boolean): number[] {
  const starts = [0];
  for (let i = sql.indexOf(";"); i !== -1 && starts.length < MAX_STATEMENTS; i = sql.indexOf(";", i + 1)) {
    starts.push(i + 1);
  }
  if (splitLines) {
    for (let i = sql.indexOf("\n"); i !== -1 && starts.length < MAX_STATEMENTS * 2; i = sql.indexOf("\n", i + 1)) {
      starts.push(i + 1);
    }
  }
  return starts;
}

// MySQL reads a comment as a space, so "UNION/**/SELECT" is "UNION SELECT"; a versioned comment such as
// "/*!50000UNION*/" is executed, so its body is kept.
function withoutBlockComments(text: string): string {
  let result = "";
  let from = 0;
  for (let open = text.indexOf("/*"); open !== -1; open = text.indexOf("/*", from)) {
    const close = text.indexOf("*/", open + 2);
    if (close === -1) break;
    const body = text.slice(open + 2, close);
    result += `${text.slice(from, open)} ${body.startsWith("!") ? body.replace(VERSIONED_COMMENT, "") : ""} `;
    from = close + 2;
  }
  return result + text.slice(from);
}

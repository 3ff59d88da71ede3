import { readFileSync } from "node:fs";
import path from "node:path";
import type { AgentRegistration, ToolScope } from "@mandate/contracts";
import type { EvalAction, EvalCase, EvalSource } from "./eval-case.js";

/**
 * Converts the InjecAgent benchmark (Zhan et al., 2024; MIT) into Mandate eval cases, reading the data
 * files at run time from `datasetDir` (tools.json, test_cases_dh_base.json, test_cases_ds_base.json).
 * Nothing of the dataset is copied into the repository.
 *
 * Mapping, per test case (one user case crossed with one attacker case):
 * - session task = "User Instruction";
 * - registration = a personal assistant whose purpose is generated from the toolkits involved (the user
 *   tool's toolkit, then each attacker tool's toolkit) and whose scope.tools are all tools of those
 *   toolkits with their summaries; no examples, counter-examples, resource or destination patterns;
 * - aligned case = the user tool called with "Tool Parameters" (a Python-literal dict, parsed by
 *   `parsePythonLiteral`, never evaluated), intent = the case's "Thought"; deduplicated, so a user case
 *   appears once per distinct registration;
 * - misaligned cases = each attacker tool call, arguments extracted from "Attacker Instruction" following
 *   the tool's parameter schema (see `extractArguments` for the rules), intent = the attacker instruction
 *   (what a hijacked agent states), history = the user tool call the agent ran first. Attacker calls are
 *   never put in history: history holds approved, legitimate actions only.
 * - category: dh attacker calls are "attacker-tool"; in ds cases the calls that read data are
 *   "attacker-data-read" and the final send (e.g. GmailSendEmail) is "attacker-exfiltration".
 * - destination is null throughout: every InjecAgent tool is a first-party API of its toolkit, and
 *   recipients, URLs and accounts stay in the arguments, where the validator's payload checks see them.
 */

interface InjecParameter {
  name: string;
  type: string;
  description: string;
  required: boolean;
}

export interface InjecTool {
  name: string;
  summary: string;
  parameters: InjecParameter[];
}

export interface InjecToolkit {
  toolkit: string;
  name_for_human: string;
  description_for_model: string;
  tools: InjecTool[];
}

export interface InjecTestCase {
  "Attacker Tools": string[];
  "Attacker Instruction": string;
  "Attack Type"?: string;
  "Expected Achievements"?: string;
  "User Tool": string;
  "User Instruction": string;
  "Tool Parameters": string;
  Thought?: string;
}

export interface ToolEntry {
  fullName: string;
  toolkit: InjecToolkit;
  tool: InjecTool;
}

type Args = Record<string, unknown>;

/** The benchmark's simulated "now" (the latest timestamp its user cases use): 2022-02-22 11:37. */
const REFERENCE_TIME = Date.UTC(2022, 1, 22, 11, 37);
const REGISTERED_AT = Date.UTC(2022, 1, 1);
const PROPOSED_AT_BASE = REFERENCE_TIME;

// ---------------------------------------------------------------------------------------------------
// Python literal parser: dicts, lists, tuples, str (single/double quoted, escapes), int, float,
// True/False/None. Throws on anything else; never evaluates code.
// ---------------------------------------------------------------------------------------------------

export function parsePythonLiteral(text: string): unknown {
  let i = 0;
  const fail = (msg: string): never => {
    throw new Error(`cannot parse Python literal at ${i}: ${msg} in ${JSON.stringify(text.slice(0, 120))}`);
  };
  const ws = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const parseString = (): string => {
    const quote = text[i]!;
    i++;
    let out = "";
    while (i < text.length && text[i] !== quote) {
      const ch = text[i]!;
      if (ch === "\\") {
        const next = text[i + 1];
        const escapes: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"' };
        if (next !== undefined && next in escapes) {
          out += escapes[next];
          i += 2;
          continue;
        }
        if (next === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
          continue;
        }
        out += ch;
        i++;
        continue;
      }
      out += ch;
      i++;
    }
    if (text[i] !== quote) fail("unterminated string");
    i++;
    return out;
  };
  const parseSequence = (close: string): unknown[] => {
    i++;
    const items: unknown[] = [];
    ws();
    while (text[i] !== close) {
      items.push(parseValue());
      ws();
      if (text[i] === ",") {
        i++;
        ws();
      } else if (text[i] !== close) fail(`expected , or ${close}`);
    }
    i++;
    return items;
  };
  const parseDict = (): Args => {
    i++;
    const out: Args = {};
    ws();
    while (text[i] !== "}") {
      const key = parseValue();
      ws();
      if (text[i] !== ":") fail("expected :");
      i++;
      out[String(key)] = parseValue();
      ws();
      if (text[i] === ",") {
        i++;
        ws();
      } else if (text[i] !== "}") fail("expected , or }");
    }
    i++;
    return out;
  };
  const parseValue = (): unknown => {
    ws();
    const ch = text[i];
    if (ch === undefined) return fail("unexpected end");
    if (ch === "{") return parseDict();
    if (ch === "[") return parseSequence("]");
    if (ch === "(") return parseSequence(")");
    if (ch === "'" || ch === '"') return parseString();
    const word = /^(True|False|None)\b/.exec(text.slice(i));
    if (word) {
      i += word[0].length;
      return word[1] === "True" ? true : word[1] === "False" ? false : null;
    }
    const num = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(text.slice(i));
    if (num) {
      i += num[0].length;
      return Number(num[0]);
    }
    return fail(`unexpected ${JSON.stringify(ch)}`);
  };
  const value = parseValue();
  ws();
  if (i !== text.length) fail("trailing characters");
  return value;
}

// ---------------------------------------------------------------------------------------------------
// Argument extraction from the attacker instruction.
//
// Rules (applied per parameter of the attacker tool's schema in tools.json):
//  1. Candidates are found in the instruction with their position: e-mail addresses; URLs and bare
//     domains (not the domain part of an e-mail); quoted strings ('…', "…", `…`); bracketed lists;
//     money amounts ($3,000 / 2000 USD) and unit amounts (5 Bitcoin, 50 units); dates (2022-02-22 or
//     "February 22, 2022", normalised to YYYY-MM-DD); clock times (07:30 AM, 3 AM tomorrow, now);
//     relative periods (last month / past week / last 24 hours, resolved against the benchmark's
//     reference time 2022-02-22 11:37); E.164 phone numbers; file paths (/…, ~/…, quoted names with an
//     extension or a leading dot); street addresses; #channels; ids (tokens with a digit or underscore,
//     and any token right after "ID", "id:", "username:"). Tool names and numbers inside other
//     candidates are not ids.
//  2. The parameter's kind comes from its type, name and description: boolean; enum (a string whose
//     description lists quoted values after "one of", "can be", "possible values", "for example", "e.g.");
//     email (to/cc/bcc, *email*); web (url/website/domain); path; phone; datetime (date/time/range);
//     address (location/address); number; id (*_id, *_ids, *number, username, account); name (*name);
//     search (query/keyword(s)/search_term); command; object; otherwise free text.
//  3. Where several candidates fit, each is scored by how many words of the parameter name (and a few
//     synonyms: from/source, to/destination/until, save/output, repository/repo …) occur in the five
//     words before it, with a bonus for ids right after "ID"; assignment is greedy by score, each
//     candidate used once per call.
//  4. Per kind: boolean = the parameter name occurs in the instruction; enum = the listed value quoted in
//     the instruction, else the listed value (or a synonym: schedule→create, remove→delete, Bitcoin→BTC …)
//     occurring earliest, else (if required) the first listed value; required e-mail parameters and "to" =
//     the last address in the instruction (the recipient of "send … to X"), optional cc/bcc are left out;
//     web arrays = every URL/domain; datetime = the time/date scored for it, or a relative period split
//     into start/end (or "from..to" when the description asks for a range); arrays of ids = a bracketed
//     list, else every id scoring above zero, else the best id; paths get a leading "/" when they have
//     none ("the file 'X' in the '/Y' directory" gives /Y/X); subject = a quoted string after "subject",
//     else the first clause of the instruction; body/content/message = a quoted string after "content"/
//     "body", else the whole instruction; other free text = a quoted string labelled by the parameter
//     name (e.g. "description '…'"), else the whole instruction; search = a quoted string introduced by
//     "for"/"about"/"containing", else a capitalised place after "in", else the topic after "about", else
//     the object of "search for / find / get / retrieve", else the instruction; command = a shell verb
//     for move/copy/delete/list followed by the paths found; object = "key to 'value'" pairs, else the
//     street address for recipient/address objects, else the instruction under the listed field that
//     matches it (or under "details").
//  5. Optional parameters are filled only when a candidate scored above zero for them (or an enum value
//     matched); required parameters with nothing to extract are left out rather than invented.
// ---------------------------------------------------------------------------------------------------

interface Candidate {
  kind:
    | "email"
    | "web"
    | "quoted"
    | "list"
    | "money"
    | "unit"
    | "date"
    | "time"
    | "period"
    | "phone"
    | "path"
    | "address"
    | "channel"
    | "id";
  value: unknown;
  text: string;
  start: number;
  context: string[];
}

const MONTHS = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];
const CURRENCY_WORDS: Record<string, string> = {
  bitcoin: "BTC",
  bitcoins: "BTC",
  btc: "BTC",
  ethereum: "ETH",
  ether: "ETH",
  eth: "ETH",
  usd: "USD",
  dollars: "USD",
  eur: "EUR",
  euros: "EUR",
  gbp: "GBP",
};
const VALUE_SYNONYMS: Record<string, string[]> = {
  create: ["schedule", "add", "book", "new"],
  delete: ["remove", "erase"],
  update: ["change", "modify", "edit"],
  list: ["show"],
  BTC: ["bitcoin"],
  ETH: ["ethereum", "ether"],
  USD: ["$", "dollar", "dollars"],
};
const NAME_SYNONYMS: Record<string, string[]> = {
  from: ["from"],
  source: ["convert", "source", "from"],
  to: ["to", "into"],
  destination: ["to", "into", "destination"],
  end: ["to", "until", "till"],
  start: ["from", "starting", "since"],
  output: ["save", "saved", "output", "store"],
  repo: ["repository", "repo"],
  app: ["application", "app"],
  item: ["file", "files", "item"],
  unique: ["person", "for"],
};

function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9$#]+/)
    .filter((w) => w.length > 0);
}

function stem(word: string): string {
  return word.length > 3 && word.endsWith("s") ? word.slice(0, -1) : word;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function isoDate(ms: number, withTime: boolean): string {
  const d = new Date(ms);
  const date = d.toISOString().slice(0, 10);
  return withTime ? `${date} ${d.toISOString().slice(11, 16)}` : date;
}

function findCandidates(instruction: string, toolNames: ReadonlySet<string>): Candidate[] {
  const found: Candidate[] = [];
  const taken: Array<[number, number]> = [];
  const overlaps = (s: number, e: number) => taken.some(([a, b]) => s < b && e > a);
  const add = (kind: Candidate["kind"], value: unknown, start: number, text: string, reserve = true) => {
    const end = start + text.length;
    if (reserve) {
      if (overlaps(start, end)) return;
      taken.push([start, end]);
    }
    const before = words(instruction.slice(Math.max(0, start - 60), start)).slice(-5);
    found.push({ kind, value, text, start, context: before });
  };
  const each = (re: RegExp, fn: (m: RegExpExecArray) => void) => {
    for (let m = re.exec(instruction); m; m = re.exec(instruction)) fn(m);
  };

  each(/\[([^\]]+)\]/g, (m) => {
    const items = [...m[1]!.matchAll(/'([^']*)'|"([^"]*)"/g)].map((x) => x[1] ?? x[2] ?? "");
    if (items.length > 0) add("list", items, m.index, m[0]);
  });
  each(/[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g, (m) =>
    add("email", m[0], m.index, m[0], false),
  );
  each(/https?:\/\/[^\s'"`),]+/g, (m) => add("web", m[0], m.index, m[0], false));
  each(/(?<![@\w.])(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|io|co|gov|edu|info)\b(?![@\w])/gi, (m) => {
    if (
      !found.some(
        (c) => (c.kind === "web" || c.kind === "email") && m.index >= c.start && m.index < c.start + c.text.length,
      )
    ) {
      add("web", m[0], m.index, m[0], false);
    }
  });
  each(/(?<![A-Za-z0-9])'([^']+?)'(?![A-Za-z0-9])|"([^"]+)"|`([^`]+)`/g, (m) => {
    const inner = m[1] ?? m[2] ?? m[3] ?? "";
    if (!overlaps(m.index, m.index + m[0].length)) {
      add("quoted", inner, m.index, m[0], false);
      if (/^(?:[~/.]|[\w-]+\.[a-z0-9]{2,4}$)/i.test(inner) && !/@|^www\.|\.(com|org|net|io)$/i.test(inner)) {
        add("path", inner, m.index, m[0], false);
      }
    }
  });
  each(/(?<![\w'"/])(?:~\/|\/)[\w./-]*[\w]/g, (m) => {
    if (!found.some((c) => c.kind === "path" && m.index >= c.start && m.index <= c.start + c.text.length))
      add("path", m[0], m.index, m[0]);
  });
  each(/\$\s?(\d[\d,]*(?:\.\d+)?)|(\d[\d,]*(?:\.\d+)?)\s*(USD|EUR|GBP|dollars)\b/gi, (m) => {
    const amount = Number((m[1] ?? m[2] ?? "0").replace(/,/g, ""));
    const currency = m[1] !== undefined ? "USD" : (CURRENCY_WORDS[m[3]!.toLowerCase()] ?? m[3]!.toUpperCase());
    add("money", { amount, currency }, m.index, m[0]);
  });
  each(/\b(\d+(?:\.\d+)?)\s+(Bitcoins?|BTC|Ethereum|ETH|units?|shares?)\b/gi, (m) => {
    add(
      "unit",
      { amount: Number(m[1]), unit: CURRENCY_WORDS[m[2]!.toLowerCase()] ?? m[2]!.toLowerCase() },
      m.index,
      m[0],
    );
  });
  each(/\b(\d{4}-\d{2}-\d{2})\b/g, (m) => add("date", m[1], m.index, m[0]));
  each(new RegExp(`\\b(${MONTHS.join("|")})\\s+(\\d{1,2}),?\\s+(\\d{4})\\b`, "gi"), (m) => {
    const month = MONTHS.indexOf(m[1]!.toLowerCase()) + 1;
    add("date", `${m[3]}-${String(month).padStart(2, "0")}-${m[2]!.padStart(2, "0")}`, m.index, m[0]);
  });
  each(/\b(\d{1,2}(?::\d{2})?\s?(?:AM|PM))(\s+(?:tomorrow|today|tonight))?/gi, (m) => add("time", m[0], m.index, m[0]));
  each(/\bnow\b/gi, (m) => add("time", "now", m.index, m[0]));
  each(/\b(?:last|past)\s+(?:(one|\d+)\s+)?(hours?|days?|weeks?|months?|years?)\b/gi, (m) => {
    const n = m[1] === undefined || m[1] === "one" ? 1 : Number(m[1]);
    const unit = m[2]!.toLowerCase().replace(/s$/, "");
    const ms =
      { hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000, month: 30 * 86_400_000, year: 365 * 86_400_000 }[
        unit
      ] ?? 0;
    add("period", { from: REFERENCE_TIME - n * ms, to: REFERENCE_TIME }, m.index, m[0]);
  });
  each(/\+\d{7,15}\b/g, (m) => add("phone", m[0], m.index, m[0]));
  each(
    /\b\d{1,5}\s+(?:[A-Za-z]\.?\s+)?[A-Z][A-Za-z]*(?:\s+[A-Za-z]+)*?\s+(?:st|street|ave|avenue|rd|road|blvd|lane|ln|dr|drive)\b\.?(?:,\s*[A-Z][A-Za-z]*(?:\s+[A-Z][A-Za-z]*)*)*(?:,?\s+[A-Z]{2})?(?:\s+\d{5})?/gi,
    (m) => add("address", m[0], m.index, m[0]),
  );
  each(/#[A-Za-z][\w-]*/g, (m) => add("channel", m[0], m.index, m[0]));
  each(/\b(?:id|ID|Id)(?:\s+is)?(?:\s*:\s*|\s+)'?([A-Za-z0-9][\w-]*)/g, (m) => {
    const start = m.index + m[0].lastIndexOf(m[1]!);
    if (!toolNames.has(m[1]!) && !/^(is|the|of|and)$/i.test(m[1]!)) add("id", m[1], start, m[1]!, false);
  });
  each(/\b(?:username|user name)\s*:?\s*([A-Za-z0-9][\w.-]*)/gi, (m) =>
    add("id", m[1], m.index + m[0].lastIndexOf(m[1]!), m[1]!, false),
  );
  each(/\b[A-Za-z0-9][A-Za-z0-9_-]*[0-9_][A-Za-z0-9_-]*\b/g, (m) => {
    const t = m[0];
    if (toolNames.has(t) || /^\d{1,2}$/.test(t) || /^\d{4}$/.test(t)) return;
    if (
      found.some(
        (c) => c.kind !== "quoted" && c.kind !== "id" && m.index >= c.start && m.index < c.start + c.text.length,
      )
    )
      return;
    if (found.some((c) => c.kind === "id" && c.start === m.index)) return;
    add("id", t, m.index, t, false);
  });
  // A quoted id (e.g. 'XYZ' after "id") is an id candidate too.
  for (const c of found.filter((c) => c.kind === "quoted")) {
    if (/\bid\b/i.test(c.context.slice(-2).join(" ")) && !found.some((x) => x.kind === "id" && x.value === c.value)) {
      found.push({ ...c, kind: "id" });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

type Kind =
  | "boolean"
  | "enum"
  | "email"
  | "web"
  | "path"
  | "phone"
  | "datetime"
  | "address"
  | "number"
  | "id"
  | "name"
  | "search"
  | "command"
  | "object"
  | "text";

function enumValues(p: InjecParameter): string[] | null {
  if (p.type !== "string") return null;
  if (!/one of|can be|possible values|for example|e\.g\./i.test(p.description)) return null;
  const values = [...p.description.matchAll(/'([^']+)'/g)].map((m) => m[1]!).filter((v) => !/X{2,}|YYYY/.test(v));
  return values.length >= 2 ? values : null;
}

function kindOf(p: InjecParameter): Kind {
  const n = p.name.toLowerCase();
  const parts = n.split("_");
  if (p.type === "boolean") return "boolean";
  if (enumValues(p)) return "enum";
  if (p.type === "object") return "object";
  if (/^(to|cc|bcc)$/.test(n) || n.includes("email")) return "email";
  if (/url|website|domain/.test(n)) return "web";
  if (/path$|_path|folder/.test(n)) return "path";
  if (n.includes("phone")) return "phone";
  if (parts.some((w) => ["date", "time", "range", "datetime"].includes(w)) || parts.at(-1) === "at") return "datetime";
  if (parts.some((w) => ["location", "address"].includes(w))) return "address";
  if (p.type === "number" || p.type === "integer") return "number";
  if (/(^|_)(id|ids|number|username|account)$/.test(n)) return "id";
  if (/name$/.test(n)) return "name";
  if (/query|keyword|search_term/.test(n)) return "search";
  if (n === "command") return "command";
  return "text";
}

function nameWords(p: InjecParameter): string[] {
  const base = p.name
    .toLowerCase()
    .split("_")
    .filter((w) => w.length > 0);
  const out = new Set<string>();
  for (const w of base) {
    out.add(stem(w));
    for (const s of NAME_SYNONYMS[w] ?? []) out.add(stem(s));
  }
  out.add(p.name.toLowerCase());
  return [...out];
}

function contextScore(p: InjecParameter, c: Candidate): number {
  const names = nameWords(p);
  let score = 0;
  for (const w of c.context) if (names.includes(stem(w)) || names.includes(w)) score += 1;
  if (kindOf(p) === "path" && c.kind === "path") score += 0.5;
  if (kindOf(p) === "id") {
    if (c.context.at(-1) === "id") score += 1;
    if (c.kind === "id" && /[\d_]/.test(String(c.value))) score += 0.5;
  }
  return score;
}

function pickEnum(values: string[], instruction: string, candidates: Candidate[]): string | null {
  const quoted = candidates.filter((c) => c.kind === "quoted").map((c) => String(c.value).toLowerCase());
  const exact = values.find((v) => quoted.includes(v.toLowerCase()));
  if (exact) return exact;
  const lower = instruction.toLowerCase();
  const instructionWords = words(instruction).map(stem);
  let best: { value: string; at: number } | null = null;
  for (const v of values) {
    const forms = [v, ...(VALUE_SYNONYMS[v] ?? [])];
    for (const form of forms) {
      const formWords = words(form).map(stem);
      let at = -1;
      if (form === "$") at = lower.indexOf("$");
      else if (formWords.length > 0 && formWords.every((w) => instructionWords.includes(w))) {
        const re = new RegExp(`\\b${escapeRegExp(formWords[0]!)}`, "i");
        at = lower.search(re);
      }
      if (at >= 0 && (best === null || at < best.at)) best = { value: v, at };
    }
  }
  // "for example" lists of pairs such as BTCUSD: pick one whose parts are all mentioned.
  if (!best) {
    const mentioned = new Set(
      words(instruction)
        .map((w) => CURRENCY_WORDS[w])
        .filter((x): x is string => x !== undefined),
    );
    const pair = values.find((v) => /^[A-Z]{6}$/.test(v) && mentioned.has(v.slice(0, 3)) && mentioned.has(v.slice(3)));
    if (pair) return pair;
  }
  return best?.value ?? null;
}

function firstClause(instruction: string): string {
  const clause = instruction
    .split(/[.,;:!?](?=\s|$)|\band\b|\bthen\b/)[0]!
    .replace(/^\s*(please|can you|could you)\s+/i, "")
    .trim();
  const text = clause.length > 60 ? `${clause.slice(0, 57)}...` : clause;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function searchPhrase(instruction: string): string | null {
  const place = /\bin\s+((?:[A-Z][a-z]+)(?:\s+[A-Z][a-z]+){0,2})\b/.exec(instruction);
  if (place) return place[1]!;
  const topic =
    /\b(?:about|containing|related to)\s+(?:(?:all|my|the|any)\s+)*([^,.;]+?)(?=\s+(?:in|on|from|and|using|with|to|for)\b|[,.;]|$)/i.exec(
      instruction,
    );
  if (topic) return topic[1]!.trim();
  const obj =
    /\b(?:search(?:es)? for|find|get|retrieve)\s+(?:(?:all|my|the|any)\s+)*([^,.;]+?)(?=\s+(?:in|on|from|and|using|with|to|for)\b|[,.;]|$)/i.exec(
      instruction,
    );
  return obj ? obj[1]!.trim() : null;
}

/** Builds the arguments of one attacker tool call from the attacker instruction (rules above). */
export function extractArguments(instruction: string, tool: InjecTool, toolNames: ReadonlySet<string>): Args {
  const candidates = findCandidates(instruction, toolNames);
  const used = new Set<Candidate>();
  const args: Args = {};
  const params = tool.parameters;

  // Scored kinds first: greedy assignment of candidates to parameters by context score.
  const accepts: Partial<Record<Kind, Candidate["kind"][]>> = {
    id: ["id", "quoted"],
    path: ["path", "quoted"],
    datetime: ["date", "time", "period"],
    name: ["quoted", "channel"],
    text: ["quoted"],
    number: ["money", "unit"],
  };
  const pairs: Array<{ score: number; pi: number; ci: number }> = [];
  params.forEach((p, pi) => {
    const kinds = accepts[kindOf(p)];
    if (!kinds || p.type === "array" || p.type === "object") return;
    candidates.forEach((c, ci) => {
      // E-mail addresses and web addresses are never paths, ids or names.
      if (c.kind === "quoted" && /@|^https?:|^www\./i.test(String(c.value))) return;
      if (kinds.includes(c.kind)) pairs.push({ score: contextScore(p, c), pi, ci });
    });
  });
  pairs.sort((a, b) => b.score - a.score || a.pi - b.pi || a.ci - b.ci);
  const assigned = new Map<number, Candidate>();
  for (const { score, pi, ci } of pairs) {
    const p = params[pi]!;
    const c = candidates[ci]!;
    if (assigned.has(pi) || used.has(c)) continue;
    const k = kindOf(p);
    // Free text and names only take a quoted string that is labelled by the parameter name.
    if ((k === "text" || (k === "name" && c.kind === "quoted")) && score <= 0) continue;
    if (!p.required && score <= 0) continue;
    if ([...used].some((u) => c.start < u.start + u.text.length && u.start < c.start + c.text.length)) continue;
    assigned.set(pi, c);
    used.add(c);
  }

  params.forEach((p, pi) => {
    const k = kindOf(p);
    const scored = assigned.get(pi);
    let value: unknown;
    switch (k) {
      case "boolean":
        value = words(instruction).some((w) => nameWords(p).includes(stem(w)));
        break;
      case "enum": {
        const picked = pickEnum(enumValues(p)!, instruction, candidates);
        value = picked ?? (p.required ? enumValues(p)![0] : undefined);
        break;
      }
      case "email": {
        const emails = candidates.filter((c) => c.kind === "email").map((c) => String(c.value));
        if (p.required || /^to$/.test(p.name)) value = emails.at(-1);
        break;
      }
      case "web": {
        const webs = candidates.filter((c) => c.kind === "web").map((c) => String(c.value));
        value = p.type === "array" ? (webs.length > 0 ? webs : undefined) : webs[0];
        break;
      }
      case "phone":
        value = candidates.find((c) => c.kind === "phone")?.value;
        break;
      case "address":
        value = candidates.find((c) => c.kind === "address")?.value;
        break;
      case "datetime": {
        if (p.type === "array") {
          const dates = candidates.filter((c) => c.kind === "date").map((c) => String(c.value));
          const period = candidates.find((c) => c.kind === "period")?.value as { from: number; to: number } | undefined;
          value =
            dates.length > 0 ? dates : period ? [isoDate(period.from, false), isoDate(period.to, false)] : undefined;
          break;
        }
        const ranged = /(^|_)(start|from|end|to|range)(_|$)/.test(p.name) || /\.\./.test(p.description);
        const period = ranged
          ? (candidates.find((c) => c.kind === "period")?.value as { from: number; to: number } | undefined)
          : undefined;
        const withTime = /HH|hh/.test(p.description);
        if (period && /\.\./.test(p.description))
          value = `${isoDate(period.from, false)}..${isoDate(period.to, false)}`;
        else if (period && /start|from/.test(p.name)) value = isoDate(period.from, withTime);
        else if (period && /end|to/.test(p.name)) value = isoDate(period.to, withTime);
        else if (scored) value = scored.value;
        break;
      }
      case "number":
        if (scored) value = (scored.value as { amount: number }).amount;
        break;
      case "path": {
        if (scored) {
          let v = String(scored.value);
          // "the file 'X' in the '/Y' directory" names one path: /Y/X.
          const rest = instruction.slice(scored.start + scored.text.length);
          const parent = /^\s+in\s+(?:the\s+)?['"`]?(\/[\w./-]+?)\/?['"`]?\s+(?:directory|folder)\b/i.exec(rest);
          if (parent && !v.includes("/")) v = `${parent[1]}/${v}`;
          value = /^[~/]/.test(v) || /\.[a-z0-9]{2,4}$/i.test(v) ? v : `/${v}`;
        }
        break;
      }
      case "id": {
        if (p.type === "array") {
          const list = candidates.find((c) => c.kind === "list");
          if (list) {
            value = list.value;
            break;
          }
          const ids = candidates.filter((c) => c.kind === "id" && !used.has(c));
          const positive = ids.filter((c) => contextScore(p, c) > 0.5);
          const chosen = positive.length > 0 ? positive : ids.slice(0, 1);
          value = chosen.length > 0 ? chosen.map((c) => c.value) : undefined;
          chosen.forEach((c) => used.add(c));
        } else if (scored) value = scored.value;
        break;
      }
      case "name":
        if (scored) value = scored.value;
        else if (p.required) value = candidates.find((c) => c.kind === "channel")?.value;
        break;
      case "search": {
        const cue = ["for", "about", "containing", "keyword", "word", "search", "term", "find", ...nameWords(p)];
        const quoted = candidates.find(
          (c) => c.kind === "quoted" && !used.has(c) && c.context.slice(-3).some((w) => cue.includes(stem(w))),
        );
        const phrase = quoted ? String(quoted.value) : (searchPhrase(instruction) ?? instruction);
        if (quoted) used.add(quoted);
        if (p.required) value = p.type === "array" ? [phrase] : phrase;
        break;
      }
      case "command": {
        const verb = /\bmove\b/i.test(instruction)
          ? "mv"
          : /\bcopy\b/i.test(instruction)
            ? "cp"
            : /\b(delete|remove)\b/i.test(instruction)
              ? "rm -rf"
              : /\blist\b/i.test(instruction)
                ? "ls -la"
                : null;
        const paths = candidates.filter((c) => c.kind === "path").map((c) => String(c.value));
        value = verb && paths.length > 0 ? `${verb} ${paths.join(" ")}` : instruction;
        break;
      }
      case "object": {
        const pairsFound = [...instruction.matchAll(/\b(\w+)\s+to\s+'([^']+)'/g)];
        if (pairsFound.length > 0) {
          value = Object.fromEntries(pairsFound.map((m) => [m[1]!.toLowerCase(), m[2]!]));
        } else if (
          /recipient|address/i.test(`${p.name} ${p.description}`) &&
          candidates.some((c) => c.kind === "address")
        ) {
          value = { address: candidates.find((c) => c.kind === "address")!.value };
        } else if (p.required) {
          const fields = [...p.description.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
          const instructionWords = words(instruction).map(stem);
          const field = fields.find((f) =>
            f.split("_").some((w) => w.length > 3 && instructionWords.includes(stem(w))),
          );
          value = { [field ?? "details"]: instruction };
        }
        break;
      }
      case "text": {
        if (scored) value = scored.value;
        else if (p.name === "subject") {
          const labelled = /subject(?:\s+line)?\s*(?:of|as|:)?\s*['"]([^'"]+)['"]/i.exec(instruction);
          value = labelled ? labelled[1] : firstClause(instruction);
        } else if (/^(body|content|message|text)$/.test(p.name)) {
          const labelled = /\b(?:content|body|message)\s*(?:of|as|:)?\s*['"]([^'"]+)['"]/i.exec(instruction);
          value = labelled ? labelled[1] : instruction;
        } else if (p.required) value = instruction;
        break;
      }
    }
    if (value !== undefined && value !== null && value !== "") args[p.name] = value;
  });
  return args;
}

// ---------------------------------------------------------------------------------------------------
// Conversion
// ---------------------------------------------------------------------------------------------------

export function loadTools(datasetDir: string): Map<string, ToolEntry> {
  const toolkits = JSON.parse(readFileSync(path.join(datasetDir, "tools.json"), "utf8")) as InjecToolkit[];
  const tools = new Map<string, ToolEntry>();
  for (const toolkit of toolkits) {
    for (const tool of toolkit.tools) {
      const fullName = `${toolkit.toolkit}${tool.name}`;
      tools.set(fullName, { fullName, toolkit, tool });
    }
  }
  return tools;
}

function operationOf(entry: ToolEntry): string {
  const verb = /^[A-Z][a-z0-9]*/.exec(entry.tool.name)?.[0] ?? entry.tool.name;
  return verb.toLowerCase();
}

function buildRegistration(toolkits: InjecToolkit[]): AgentRegistration {
  const tools: ToolScope[] = toolkits.flatMap((tk) =>
    tk.tools.map((t) => ({ name: `${tk.toolkit}${t.name}`, description: t.summary, operations: [] })),
  );
  const names = toolkits.map((tk) => tk.name_for_human);
  const descriptions = toolkits.map(
    (tk) => `${tk.name_for_human}: ${tk.description_for_model.trim().replace(/\.?$/, ".")}`,
  );
  return {
    agent_id: `injecagent-assistant-${toolkits.map((tk) => tk.toolkit.toLowerCase()).join("-")}`,
    owner: "injecagent-eval",
    purpose: `Personal assistant using ${names.join(", ")}. ${descriptions.join(" ")}`,
    examples: [],
    counter_examples: [],
    scope: {
      tools,
      resource_patterns: [],
      destination_patterns: [],
      data_classes: [],
      rate_limit_per_minute: null,
      max_payload_bytes: null,
    },
    keys: [],
    version: 1,
    retired: false,
    registered_at: REGISTERED_AT,
  };
}

function convertFile(
  kind: "dh" | "ds",
  datasetDir: string,
  tools: Map<string, ToolEntry>,
  seenAligned: Set<string>,
): EvalCase[] {
  const source: EvalSource = kind === "dh" ? "injecagent-dh" : "injecagent-ds";
  const file = path.join(datasetDir, `test_cases_${kind}_base.json`);
  const testCases = JSON.parse(readFileSync(file, "utf8")) as InjecTestCase[];
  const toolNames = new Set(tools.keys());
  const out: EvalCase[] = [];

  testCases.forEach((tc, index) => {
    const where = `${path.basename(file)}[${index}]`;
    const lookup = (name: string): ToolEntry => {
      const entry = tools.get(name);
      if (!entry) throw new Error(`${where}: tool ${name} is not in tools.json`);
      return entry;
    };
    const userTool = lookup(tc["User Tool"]);
    const attackerTools = tc["Attacker Tools"].map(lookup);
    const toolkits: InjecToolkit[] = [];
    for (const entry of [userTool, ...attackerTools]) {
      if (!toolkits.includes(entry.toolkit)) toolkits.push(entry.toolkit);
    }
    const registration = buildRegistration(toolkits);
    const seq = String(index).padStart(4, "0");
    const sessionId = `injecagent-${kind}-${seq}`;
    const task = tc["User Instruction"];
    const at = PROPOSED_AT_BASE + index * 600_000;

    const parsedParams = parsePythonLiteral(tc["Tool Parameters"]);
    if (parsedParams === null || typeof parsedParams !== "object" || Array.isArray(parsedParams)) {
      throw new Error(`${where}: Tool Parameters is not a dict`);
    }
    const userAction: EvalAction = {
      action_id: `ia-${kind}-${seq}-user`,
      agent_id: registration.agent_id,
      session_id: sessionId,
      session_task: task,
      tool: userTool.fullName,
      operation: operationOf(userTool),
      resource: null,
      destination: null,
      arguments_json: JSON.stringify(parsedParams),
      intent: (tc.Thought ?? "").replace(/^Thought:\s*/, "").trim() || null,
      proposed_at: at,
    };

    const alignedKey = JSON.stringify([tc["User Tool"], tc["Tool Parameters"], task, registration.agent_id]);
    if (!seenAligned.has(alignedKey)) {
      seenAligned.add(alignedKey);
      out.push({
        case_id: `injecagent-${kind}-${seq}-user`,
        source,
        archetype: "personal-assistant",
        label: "aligned",
        category: "legit",
        registration,
        action: userAction,
      });
    }

    attackerTools.forEach((entry, k) => {
      const isSend = kind === "ds" && k === attackerTools.length - 1 && attackerTools.length > 1;
      const category = kind === "dh" ? "attacker-tool" : isSend ? "attacker-exfiltration" : "attacker-data-read";
      const args = extractArguments(tc["Attacker Instruction"], entry.tool, toolNames);
      out.push({
        case_id: `injecagent-${kind}-${seq}-attack-${k + 1}`,
        source,
        archetype: "personal-assistant",
        label: "misaligned",
        category,
        registration,
        action: {
          action_id: `ia-${kind}-${seq}-attack-${k + 1}`,
          agent_id: registration.agent_id,
          session_id: sessionId,
          session_task: task,
          tool: entry.fullName,
          operation: operationOf(entry),
          resource: null,
          destination: null,
          arguments_json: JSON.stringify(args),
          intent: tc["Attacker Instruction"],
          proposed_at: at + (k + 1) * 1_000,
        },
        history: [userAction],
        rationale:
          `Injected through the ${tc["User Tool"]} output; attack type ${tc["Attack Type"] ?? "unknown"}: ${tc["Expected Achievements"] ?? ""}`.trim(),
      });
    });
  });
  return out;
}

/**
 * Reads the InjecAgent data from `datasetDir` and returns direct-harm (`injecagent-dh`) then
 * data-stealing (`injecagent-ds`) cases. Aligned cases are deduplicated across both files.
 */
export function loadInjecAgentCases(datasetDir: string): EvalCase[] {
  const tools = loadTools(datasetDir);
  const seenAligned = new Set<string>();
  return [...convertFile("dh", datasetDir, tools, seenAligned), ...convertFile("ds", datasetDir, tools, seenAligned)];
}

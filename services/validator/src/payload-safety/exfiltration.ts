import type { ScanTarget } from "./argument-walk.js";
import { KEY_PII_FIELD, keyTraits } from "./key-traits.js";
import { BULK_RECORD_COUNT, type PayloadScan } from "./payload-scan.js";
import { base64Decoded, percentDecode } from "./text-decoding.js";
import { HAS_AT, profileText } from "./text-profile.js";

/*
 * Shapes that only mean something next to where the data goes: an attachment-sized blob or a customer
 * list is routine towards a registered destination and a leak towards any other. Strings are measured
 * while the arguments are walked; the judgement is made once, after the walk.
 */

/** 2 KiB of encoded text is more than any identifier, token or signature; it is a file or a dump. */
const MIN_BLOB_LENGTH = 2048;
/** Spread-out personal values (e-mails, phones, cards) that make bulk data without forming rows. */
const BULK_PERSONAL_VALUES = 20;
const MAX_CSV_LINES = 2000;
/** Share of lines that must agree with the header's column count for the text to be a table. */
const CSV_CONSISTENCY = 0.8;
const CSV_DELIMITERS = [",", "\t", ";", "|"] as const;
const EMAIL = /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}\.[A-Za-z]{2,24}/;

/**
 * Prose hidden in a URL's query string as base64: a GET that smuggles notes out past anything reading the
 * page's address. Identifiers, signatures and tracking ids decode to bytes, not to words, so the decoded
 * text must be mostly printable and hold a few spaces.
 */
const URL_WITH_QUERY = /^https?:\/\/[^\s?#]{1,512}\?/i;
const MIN_ENCODED_PARAM = 24;
const MAX_QUERY_PARAMS = 32;
const MIN_DECODED_SPACES = 2;

export function collectExfiltrationShapes(target: ScanTarget, scan: PayloadScan): void {
  const { text, profile } = target;
  if (profile.spaces === 0 && target.encoding === "plain" && URL_WITH_QUERY.test(text))
    collectEncodedQuery(target, scan);
  if (text.length >= MIN_BLOB_LENGTH) {
    const encoding = longEncodedRun(text);
    if (encoding !== null) scan.blobs.push({ path: target.path, encoding });
  }
  if (profile.newlines >= BULK_RECORD_COUNT) {
    const table = csvTable(text);
    if (table !== null) {
      const personal =
        table.header.some((cell) => (keyTraits(cell.trim()) & KEY_PII_FIELD) !== 0) ||
        ((profile.flags & HAS_AT) !== 0 && EMAIL.test(text));
      scan.recordSets.push({ path: target.path, records: table.rows, personal, source: "csv" });
    }
  }
}

function collectEncodedQuery(target: ScanTarget, scan: PayloadScan): void {
  const { text } = target;
  const query = text.slice(text.indexOf("?") + 1, text.includes("#") ? text.indexOf("#") : text.length);
  let params = 0;
  for (const pair of query.split("&")) {
    if (++params > MAX_QUERY_PARAMS) return;
    const raw = pair.slice(pair.indexOf("=") + 1);
    if (raw.length < MIN_ENCODED_PARAM) continue;
    const value = raw.includes("%") ? percentDecode(raw) : raw;
    const decoded = base64Decoded(value, profileText(value));
    if (decoded !== null && profileText(decoded).spaces >= MIN_DECODED_SPACES) {
      scan.encodedQueries.push(target.path);
      return;
    }
  }
}

export function judgeExfiltration(scan: PayloadScan): void {
  if (scan.leavesScope && scan.encodedQueries.length > 0) {
    scan.report({
      detector: "exfiltration",
      code: "payload.exfiltration.encoded_query",
      message: "A URL hides base64-encoded text in its query string, sent to a destination outside the agent's scope.",
      severity: "suspicious",
      path: scan.encodedQueries[0] ?? "$",
    });
  }
  if (scan.leavesScope) {
    const seen = new Set<string>();
    for (const blob of scan.blobs) {
      if (seen.has(blob.path)) continue;
      seen.add(blob.path);
      scan.report({
        detector: "exfiltration",
        code: "payload.exfiltration.encoded_blob",
        message: `An argument carries a large ${blob.encoding} blob to a destination outside the agent's scope.`,
        severity: "critical",
        path: blob.path,
      });
    }
  }

  const personalSets = scan.recordSets.filter((set) => set.personal);
  const largestPersonal = personalSets.reduce<(typeof personalSets)[number] | null>(
    (largest, set) => (largest === null || set.records > largest.records ? set : largest),
    null,
  );
  if (largestPersonal !== null || scan.distinctPersonalValues >= BULK_PERSONAL_VALUES) {
    const path = largestPersonal?.path ?? "$";
    if (scan.leavesScope) {
      scan.report({
        detector: "exfiltration",
        code: "payload.exfiltration.bulk_pii",
        message: "Arguments carry personal data in bulk to a destination outside the agent's scope.",
        severity: "critical",
        path,
      });
    } else if (!scan.handles("pii")) {
      scan.report({
        detector: "pii",
        code: "payload.pii.bulk",
        message: "Arguments carry personal data in bulk, a data class the agent is not registered for.",
        severity: "suspicious",
        path,
      });
    }
    return;
  }

  // Tables without personal fields (sales figures, metrics) leaving scope are worth a look, not a block.
  const dump = scan.recordSets.find((set) => set.source === "csv");
  if (scan.leavesScope && dump !== undefined) {
    scan.report({
      detector: "exfiltration",
      code: "payload.exfiltration.bulk_records",
      message: "An argument carries a table dump to a destination outside the agent's scope.",
      severity: "suspicious",
      path: dump.path,
    });
  }
}

/** The kind of the first run of at least MIN_BLOB_LENGTH base64 or hex characters; line breaks do not end a run. */
function longEncodedRun(text: string): "base64" | "hex" | null {
  let base64Run = 0;
  let base64Classes = 0;
  let hexRun = 0;
  let hexClasses = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) continue;
    const digit = c >= 0x30 && c <= 0x39;
    const lower = c >= 0x61 && c <= 0x7a;
    const upper = c >= 0x41 && c <= 0x5a;
    if (digit || lower || upper || c === 0x2b || c === 0x2f || c === 0x3d || c === 0x2d || c === 0x5f) {
      base64Run++;
      base64Classes |= (digit ? 1 : 0) | (lower ? 2 : 0) | (upper ? 4 : 0);
      // Real base64 mixes all three; a long run of lower-case letters is not an encoding.
      if (base64Run >= MIN_BLOB_LENGTH && base64Classes === 7) return "base64";
    } else {
      base64Run = 0;
      base64Classes = 0;
    }
    const hexLetter = (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
    if (digit || hexLetter) {
      hexRun++;
      hexClasses |= digit ? 1 : 2;
      if (hexRun >= MIN_BLOB_LENGTH && hexClasses === 3) return "hex";
    } else {
      hexRun = 0;
      hexClasses = 0;
    }
  }
  return null;
}

/** Header cells and row count when the text is a delimited table, else null. */
function csvTable(text: string): { header: string[]; rows: number } | null {
  const lines: string[] = [];
  for (let start = 0; start < text.length && lines.length < MAX_CSV_LINES;) {
    const end = text.indexOf("\n", start);
    const line = text.slice(start, end === -1 ? text.length : end).trim();
    if (line !== "") lines.push(line);
    start = end === -1 ? text.length : end + 1;
  }
  const header = lines[0];
  if (header === undefined || lines.length <= BULK_RECORD_COUNT) return null;
  for (const delimiter of CSV_DELIMITERS) {
    const columns = count(header, delimiter);
    if (columns === 0) continue;
    const consistent = lines.filter((line) => count(line, delimiter) === columns).length;
    if (consistent - 1 >= BULK_RECORD_COUNT && consistent >= lines.length * CSV_CONSISTENCY) {
      return { header: header.split(delimiter), rows: consistent - 1 };
    }
  }
  return null;
}

function count(line: string, character: string): number {
  let n = 0;
  for (let i = line.indexOf(character); i !== -1; i = line.indexOf(character, i + 1)) n++;
  return n;
}

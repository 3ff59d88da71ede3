const NON_ASCII = /[\u0080-\uffff]/;
const COMBINING_MARKS = /\p{M}/gu;

/** Longer runs are hashes, keys or base64: never words, and costly to look up. */
const MAX_TOKEN_LENGTH = 32;

const isUpper = (c: number): boolean => c >= 65 && c <= 90;
const isLower = (c: number): boolean => c >= 97 && c <= 122;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * Lowercase word tokens. Splits on anything that is not an ASCII letter or digit and on
 * camelCase humps, so tool names read as words: `GmailSendEmail` → gmail send email,
 * `HTTPRequest` → http request, `send_sms` → send sms. Letters and digits stay together
 * (`s3`, `ec2`, `utf8` are vocabulary words). Accents are folded (`résumé` → resume)
 * because the vocabulary is ASCII.
 *
 * Appends to `out` so a caller can collect several fields into one array.
 */
export function tokenize(text: string, out: string[] = []): string[] {
  const source = NON_ASCII.test(text) ? text.normalize("NFKD").replace(COMBINING_MARKS, "") : text;
  let start = -1;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    const upper = isUpper(c);
    if (!upper && !isLower(c) && !isDigit(c)) {
      if (start >= 0) pushToken(source, start, i, out);
      start = -1;
      continue;
    }
    if (start >= 0 && upper) {
      const prev = source.charCodeAt(i - 1);
      const next = i + 1 < source.length ? source.charCodeAt(i + 1) : 0;
      // A hump (`sendEmail` at E), or a capitalised word after an acronym or a number
      // (`HTTPRequest` at R, `S3Bucket` at B) — but `2FA`, `SMS` and a plural acronym
      // (`URLs` in `getURLsFromPage`) stay whole.
      const pluralAcronym = next === 115 && !isLower(i + 2 < source.length ? source.charCodeAt(i + 2) : 0);
      if (isLower(prev) || ((isUpper(prev) || isDigit(prev)) && isLower(next) && !pluralAcronym)) {
        pushToken(source, start, i, out);
        start = -1;
      }
    }
    if (start < 0) start = i;
  }
  if (start >= 0) pushToken(source, start, source.length, out);
  return out;
}

function pushToken(source: string, start: number, end: number, out: string[]): void {
  if (end - start <= MAX_TOKEN_LENGTH) out.push(source.slice(start, end).toLowerCase());
}

/** Pure numbers (amounts, ids, years) say nothing about what an action is for. */
export function carriesMeaning(token: string): boolean {
  for (let i = 0; i < token.length; i++) if (!isDigit(token.charCodeAt(i))) return true;
  return false;
}

/**
 * Intent-carrying values: the who and where of an action — recipients, accounts, hosts,
 * files. An injected instruction changes these while the tool and the prose stay plausible,
 * so each one found in an action must be explained by the task, the registration or the
 * agent's recent approved behaviour.
 *
 * Values are normalised (lowercase; phones to digits; accounts to compact uppercase) so the
 * same value compares equal wherever it came from; `recentValues` holds this form.
 */
export type IntentValueKind = "email" | "phone" | "handle" | "account" | "host" | "path" | "reference" | "payee";

export interface IntentValue {
  kind: IntentValueKind;
  value: string;
}

export const INTENT_VALUE_LABELS: Record<IntentValueKind, string> = {
  email: "e-mail recipient",
  phone: "phone number",
  handle: "handle",
  account: "account number",
  host: "host",
  path: "file path",
  reference: "record reference",
  payee: "payee",
};

/** Not after `/`: `https://user@host` carries credentials for a host, not a recipient. */
const EMAIL = /(?<![\w.%+'/-])[a-z0-9._%+'-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,24}/gi;
const URL_HOST = /\b(?:https?|ftps?|wss?|sftp|s3):\/\/(?:[^\s/?#@"'<>]*@)?([^\s/?#:"'<>]+)/gi;
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b/g;
const CRYPTO_ADDRESS = /\b(?:0x[a-fA-F0-9]{40}|bc1[a-z0-9]{25,60})\b/g;
const INTERNATIONAL_PHONE = /(?<![\w+])\+\d[\d ().-]{5,20}\d\b/g;
const PHONE_SHAPED = /^\+?[\d ().-]{7,24}$/;
const HANDLE_IN_TEXT = /(?<![\w.@])@[a-z0-9_]{2,30}\b/gi;
const WHOLE_HANDLE = /^@[a-z0-9_.]{2,30}$/i;
const HOST_NAME = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}\.?(?::\d{1,5})?$/i;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?$/;
const DATE_LIKE = /^\d{4}-\d{2}-\d{2}|^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}$/;
const PATH_SHAPED = /^(?:~|\.{1,2})?\/[^\s]|^[a-z]:\\|^\\\\/i;

/**
 * Bare names count as hosts only under these TLDs: `report.pdf`, `main.py` and `build.sh`
 * are file names, and `.py`, `.sh`, `.md` are also country domains.
 */
const BARE_HOST_TLDS = new Set(
  "com net org io dev app ai co cloud xyz info biz me site online tech gov edu int uk de fr eu ru cn in".split(" "),
);

/** Words of argument keys (`to`, `phoneNumber`, `beneficiary_iban`) that say what kind of place a value is. */
const RECIPIENT_WORDS = new Set(
  `to cc bcc recipient recipients phone mobile cell tel sms whatsapp fax handle username
   contact invitee invitees attendee attendees participant participants member members
   assignee mention mentions`.split(/\s+/),
);
const PHONE_WORDS = new Set("to recipient recipients phone mobile cell tel sms whatsapp fax contact".split(" "));
const ACCOUNT_WORDS = new Set("account acct iban routing sort beneficiary payee card wallet bank".split(" "));
const HOST_WORDS = new Set("host hostname domain server endpoint url uri webhook remote origin callback".split(" "));
const PATH_WORDS = new Set(
  `path paths file files filename filepath dir directory folder dest destination target src
   source output location`.split(/\s+/),
);

/**
 * A record reference: a capital prefix and a number (`ORD-771204`, `E-10731`, `INV-2025-0117`,
 * `INC0091890`). When the task names one of a kind, a call about another of the same kind is about
 * a different order, employee or invoice than the one asked about.
 */
export const REFERENCE = /^([A-Z]{1,6})-?(\d[\d-]{2,20}\d)$/;
/** Keys under which a name says who receives money: `vendor_name`, `payee`, `beneficiary_name`. */
const PAYEE_WORDS = new Set("payee vendor beneficiary merchant supplier creditor".split(" "));
const PAYEE_NAME = /^[\p{L}\d][\p{L}\d&.,' -]{1,80}$/u;

const hasAny = (words: readonly string[], set: ReadonlySet<string>): boolean => words.some((w) => set.has(w));

/*
 * Character tests that rule a string out before a regex runs, each implied by its pattern: the
 * checks below run on every argument string, and most are prose or plain words.
 */

/** `REFERENCE` starts with a capital and ends with a digit. */
function mayBeReference(value: string): boolean {
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  return first >= 65 && first <= 90 && last >= 48 && last <= 57;
}

/** `PATH_SHAPED` starts with `~`, `.`, `/` or `\`, or with a drive letter and a colon. */
function mayBePath(value: string): boolean {
  const first = value.charCodeAt(0);
  return first === 0x7e || first === 0x2e || first === 0x2f || first === 0x5c || value.charCodeAt(1) === 0x3a;
}

/**
 * Each step runs only when the character its pattern needs is there: hosts are normalised on
 * every call that has a destination, and most are already bare.
 */
export function normaliseHost(raw: string): string {
  let host = raw.toLowerCase();
  if (host.includes("://")) host = host.replace(/^[a-z][a-z0-9+.-]*:\/\//, "");
  if (host.includes("@")) host = host.replace(/^[^/@]*@/, "");
  if (host.includes("/") || host.includes("?") || host.includes("#")) host = host.replace(/[/?#].*$/, "");
  if (host.includes(":")) host = host.replace(/:\d+$/, "");
  if (host.endsWith(".")) host = host.slice(0, -1);
  return host;
}

export function normalisePath(raw: string): string {
  return raw
    .trim()
    .toLowerCase()
    .replace(/\\/g, "/")
    .replace(/\/{2,}/g, "/")
    .replace(/^\.\//, "")
    .replace(/(.)\/$/, "$1");
}

export const normalisePhone = (raw: string): string => raw.replace(/\D/g, "");
export const normaliseAccount = (raw: string): string => raw.replace(/[\s-]/g, "").toUpperCase();

function countDigits(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

export function isBareHost(value: string): boolean {
  // Both patterns need a dot; most argument strings have none, and this runs on every one of them.
  if (!value.includes(".")) return false;
  if (IPV4.test(value)) return true;
  if (!HOST_NAME.test(value)) return false;
  const tld = normaliseHost(value).split(".").pop() ?? "";
  return BARE_HOST_TLDS.has(tld);
}

/**
 * Collects the intent-carrying values in one string found under a key whose words are
 * `keyWords` (the nearest object key, tokenized; empty at the top level). Returns whether the whole string is
 * one such value, in which case its words say who or where, not what, and stay out of the
 * action's text vector.
 */
export function collectIntentValues(keyWords: readonly string[], raw: string, into: IntentValue[]): boolean {
  const value = raw.trim();
  if (value.length === 0) return false;
  const before = into.length;
  let whole = false;

  if (value.includes("@")) {
    for (const match of value.matchAll(EMAIL)) into.push({ kind: "email", value: match[0].toLowerCase() });
    whole = into.length > before && !/\s/.test(value.replace(/[,;]\s*/g, ","));
    if (WHOLE_HANDLE.test(value)) {
      into.push({ kind: "handle", value: value.toLowerCase() });
      whole = true;
    } else if (hasAny(keyWords, RECIPIENT_WORDS)) {
      for (const match of value.matchAll(HANDLE_IN_TEXT)) into.push({ kind: "handle", value: match[0].toLowerCase() });
    }
  }

  if (value.includes("://")) {
    for (const match of value.matchAll(URL_HOST)) {
      const host = normaliseHost(match[1] ?? "");
      if (host.length > 0) into.push({ kind: "host", value: host });
    }
    whole ||= into.length > before && !/\s/.test(value);
  } else if ((hasAny(keyWords, HOST_WORDS) && (HOST_NAME.test(value) || IPV4.test(value))) || isBareHost(value)) {
    into.push({ kind: "host", value: normaliseHost(value) });
    whole = true;
  }

  const digits = countDigits(value);
  if (digits >= 6) {
    if (hasAny(keyWords, ACCOUNT_WORDS) && /^[A-Za-z0-9 -]+$/.test(value)) {
      into.push({ kind: "account", value: normaliseAccount(value) });
      whole = true;
    } else {
      for (const match of value.matchAll(IBAN)) {
        if (countDigits(match[0]) >= 8) into.push({ kind: "account", value: normaliseAccount(match[0]) });
      }
      for (const match of value.matchAll(CRYPTO_ADDRESS))
        into.push({ kind: "account", value: normaliseAccount(match[0]) });
    }
    if (
      PHONE_SHAPED.test(value) &&
      !DATE_LIKE.test(value) &&
      digits <= 15 &&
      (value.startsWith("+") || hasAny(keyWords, PHONE_WORDS))
    ) {
      into.push({ kind: "phone", value: normalisePhone(value) });
      whole = true;
    } else if (value.includes("+")) {
      for (const match of value.matchAll(INTERNATIONAL_PHONE)) {
        const phone = normalisePhone(match[0]);
        if (phone.length >= 7 && phone.length <= 15) into.push({ kind: "phone", value: phone });
      }
    }
  }

  const reference = mayBeReference(value) ? REFERENCE.exec(value) : null;
  if (reference) {
    into.push({ kind: "reference", value: `${reference[1]}-${reference[2]}` });
    return true;
  }
  if (
    into.length === before &&
    hasAny(keyWords, PAYEE_WORDS) &&
    !keyWords.includes("id") &&
    digits <= 2 &&
    PAYEE_NAME.test(value) &&
    /\p{Lu}/u.test(value)
  ) {
    into.push({ kind: "payee", value: value.toLowerCase() });
  }

  if (
    mayBePath(value) &&
    PATH_SHAPED.test(value) &&
    (hasAny(keyWords, PATH_WORDS) || /^(?:~|[a-z]:\\)/i.test(value)) &&
    !value.includes("://")
  ) {
    into.push({ kind: "path", value: normalisePath(value) });
    whole = true;
  }
  return whole && into.length > before;
}

/**
 * The values a piece of prose states outright: e-mail addresses, URL hosts, international phone
 * numbers, IBANs and wallet addresses. Unlike `collectIntentValues`, nothing is read from where the
 * text sits, so a word is never taken for a host or an account.
 */
export function collectStatedValues(prose: string, into: IntentValue[]): void {
  if (prose.includes("@"))
    for (const match of prose.matchAll(EMAIL)) into.push({ kind: "email", value: match[0].toLowerCase() });
  if (prose.includes("://")) {
    for (const match of prose.matchAll(URL_HOST)) {
      const host = normaliseHost(match[1] ?? "");
      if (host.length > 0) into.push({ kind: "host", value: host });
    }
  }
  if (countDigits(prose) < 8) return;
  for (const match of prose.matchAll(IBAN)) {
    if (countDigits(match[0]) >= 8) into.push({ kind: "account", value: normaliseAccount(match[0]) });
  }
  for (const match of prose.matchAll(CRYPTO_ADDRESS)) into.push({ kind: "account", value: normaliseAccount(match[0]) });
  if (prose.includes("+")) {
    for (const match of prose.matchAll(INTERNATIONAL_PHONE)) {
      const phone = normalisePhone(match[0]);
      if (phone.length >= 7 && phone.length <= 15) into.push({ kind: "phone", value: phone });
    }
  }
}

/** The prose with its e-mail addresses and URLs blanked out, so their parts are not read as words. */
export function withoutStatedValues(prose: string): string {
  let text = prose;
  if (text.includes("@")) text = text.replace(EMAIL, " ");
  if (text.includes("://")) text = text.replace(URL_TEXT, " ");
  return text;
}

const URL_TEXT = /\b[a-z][a-z0-9+.-]{1,15}:\/\/[^\s"'<>]{1,2048}/gi;

/** A whole number under an account key (`"accountNumber": 88120045`). */
export function collectNumericIntentValue(keyWords: readonly string[], value: number, into: IntentValue[]): void {
  if (Number.isInteger(value) && value >= 100_000 && hasAny(keyWords, ACCOUNT_WORDS)) {
    into.push({ kind: "account", value: normaliseAccount(String(value)) });
  }
}

/** The action's own `destination` field: a host or address data goes to. */
export function destinationValue(destination: string): IntentValue | null {
  const value = destination.trim();
  if (value.length === 0) return null;
  if (value.includes("@") && !value.includes("://")) {
    const email = value.match(EMAIL);
    if (email) return { kind: "email", value: email[0].toLowerCase() };
  }
  const host = normaliseHost(value);
  return host.length > 0 ? { kind: "host", value: host } : null;
}

/** The action's `resource` field, when it names a place: a URL's host or a file path. */
export function resourceValue(resource: string): IntentValue | null {
  const value = resource.trim();
  if (value.includes("://")) {
    const host = normaliseHost(value);
    // `s3://bucket/key`, `gs://…`: the bucket is a storage location, and a new one matters as a host does.
    return host.length > 0 ? { kind: "host", value: host } : null;
  }
  if (PATH_SHAPED.test(value)) return { kind: "path", value: normalisePath(value) };
  return null;
}

import type { Severity } from "@mandate/contracts";
import type { ScanTarget } from "./argument-walk.js";
import { KEY_RECIPIENT, KEY_SSN, keyTraits } from "./key-traits.js";
import type { PayloadScan } from "./payload-scan.js";
import { HAS_AT, HAS_HYPHEN } from "./text-profile.js";

/*
 * E-mail addresses and phone numbers are everyday business data: one alone is never a finding, they only
 * count towards bulk (judged by the exfiltration detector). Card numbers and SSNs are sensitive one by one.
 */

const EMAIL = /[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}(?![A-Za-z0-9-])/g;
const PHONE = /(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]\d{3,4}(?!\w)/g;
const E164_PHONE = /(?<![\w+])\+\d{8,15}(?!\w)/g;
const CARD_CANDIDATE = /(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)/g;
const SSN_DASHED = /(?<![\d-])(\d{3})-(\d{2})-(\d{4})(?![\d-])/g;
const SSN_UNDASHED = /^\d{9}$/;
const NON_DIGIT = /\D/g;
/** "0000 0000 0000 0000" and friends pass Luhn but are filler. */
const REPEATED_DIGIT = /^(\d)\1+$/;
/** "Order #123-45-6789" is a reference number that happens to have an SSN's shape. */
const REFERENCE_LABEL =
  /(?:order|invoice|ref|reference|ticket|tracking|sku|po|part|case|confirmation|booking|item|no|number|#)\s{0,3}[:#.]?\s{0,3}$/i;
const REFERENCE_LOOKBEHIND = 24;

const MIN_PHONE_DIGITS = 7;
const MIN_SSN_DIGITS = 9;
const MIN_CARD_DIGITS = 13;
const MAX_CARD_DIGITS = 19;

export function detectPii(target: ScanTarget, scan: PayloadScan): void {
  const { text, profile } = target;
  const traits = keyTraits(target.key);
  // Recipients of an e-mail are its addressing, not its content: a newsletter is not a data dump.
  if ((profile.flags & HAS_AT) !== 0 && !(scan.emailTool && (traits & KEY_RECIPIENT) !== 0)) {
    EMAIL.lastIndex = 0;
    for (let match = EMAIL.exec(text); match !== null; match = EMAIL.exec(text)) {
      scan.notePersonalValue(match[0].toLowerCase());
    }
  }
  if (profile.digits < MIN_PHONE_DIGITS) return;
  notePhones(PHONE, text, scan);
  if (text.includes("+")) notePhones(E164_PHONE, text, scan);

  if (profile.digits >= MIN_CARD_DIGITS) {
    let cards = 0;
    CARD_CANDIDATE.lastIndex = 0;
    for (let match = CARD_CANDIDATE.exec(text); match !== null; match = CARD_CANDIDATE.exec(text)) {
      const digits = match[0].replace(NON_DIGIT, "");
      if (!isCardNumber(digits)) continue;
      scan.notePersonalValue(digits);
      cards++;
    }
    if (cards > 0) reportSensitive(target, scan, "card_number", "a payment card number", ["financial", "pci"]);
  }

  if (profile.digits >= MIN_SSN_DIGITS) {
    let ssns = 0;
    if ((profile.flags & HAS_HYPHEN) !== 0) {
      SSN_DASHED.lastIndex = 0;
      for (let match = SSN_DASHED.exec(text); match !== null; match = SSN_DASHED.exec(text)) {
        if (!isSsn(match[1] ?? "", match[2] ?? "", match[3] ?? "")) continue;
        const before = text.slice(Math.max(0, match.index - REFERENCE_LOOKBEHIND), match.index);
        if (REFERENCE_LABEL.test(before)) continue;
        scan.notePersonalValue(match[0].replace(NON_DIGIT, ""));
        ssns++;
      }
    }
    if (
      (traits & KEY_SSN) !== 0 &&
      SSN_UNDASHED.test(text) &&
      isSsn(text.slice(0, 3), text.slice(3, 5), text.slice(5))
    ) {
      scan.notePersonalValue(text);
      ssns++;
    }
    if (ssns > 0) reportSensitive(target, scan, "ssn", "a US social security number", ["pii"]);
  }
}

function notePhones(pattern: RegExp, text: string, scan: PayloadScan): void {
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    scan.notePersonalValue(match[0].replace(NON_DIGIT, ""));
  }
}

/**
 * Registered for the data class and staying in scope: no finding. Either one missing: suspicious.
 * Both missing (unregistered data leaving scope): critical.
 */
function reportSensitive(
  target: ScanTarget,
  scan: PayloadScan,
  kind: string,
  label: string,
  dataClasses: readonly string[],
): void {
  const registered = dataClasses.some((dataClass) => scan.handles(dataClass));
  if (registered && !scan.leavesScope) return;
  const severity: Severity = !registered && scan.leavesScope ? "critical" : "suspicious";
  const where = scan.leavesScope ? " bound for a destination outside the agent's scope" : "";
  const why = registered ? "" : ", a data class the agent is not registered for";
  scan.report({
    detector: "pii",
    code: `payload.pii.${kind}`,
    message: `An argument holds ${label}${where}${why}.`,
    severity,
    path: target.path,
  });
}

function isCardNumber(digits: string): boolean {
  if (digits.length < MIN_CARD_DIGITS || digits.length > MAX_CARD_DIGITS) return false;
  if (!hasCardIssuerPrefix(digits)) return false;
  if (REPEATED_DIGIT.test(digits)) return false;
  return passesLuhn(digits);
}

/** Issuer prefixes in use (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro). */
function hasCardIssuerPrefix(digits: string): boolean {
  const two = Number(digits.slice(0, 2));
  const four = Number(digits.slice(0, 4));
  if (digits[0] === "4") return true;
  if ((two >= 51 && two <= 55) || (four >= 2221 && four <= 2720)) return true;
  if (two === 34 || two === 37) return digits.length === 15;
  if (four === 6011 || two === 64 || two === 65 || two === 62) return true;
  if (two === 35 || two === 30 || two === 36 || two === 38 || two === 39) return true;
  return two === 50 || (two >= 56 && two <= 58) || two === 63 || two === 67;
}

function passesLuhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 0x30;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Area 000, 666 and 900-999, group 00 and serial 0000 are never issued. */
function isSsn(area: string, group: string, serial: string): boolean {
  return area !== "000" && area !== "666" && area[0] !== "9" && group !== "00" && serial !== "0000";
}

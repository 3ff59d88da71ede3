import { Buffer } from "node:buffer";
import type { Severity } from "@mandate/contracts";
import type { ScanTarget } from "./argument-walk.js";
import { KEY_AUTHORIZATION, KEY_AWS_SECRET, KEY_CREDENTIAL, KEY_PASSWORD, keyTraits } from "./key-traits.js";
import type { PayloadScan } from "./payload-scan.js";
import { HAS_SLASH } from "./text-profile.js";

const SECRET_LABELS = {
  aws_access_key: "an AWS access key ID",
  aws_secret_key: "an AWS secret access key",
  github_token: "a GitHub token",
  gitlab_token: "a GitLab token",
  slack_token: "a Slack token",
  webhook_url: "a webhook URL with its secret path",
  stripe_key: "a Stripe secret key",
  openai_api_key: "an OpenAI-style API key",
  anthropic_api_key: "an Anthropic API key",
  google_api_key: "a Google API key",
  jwt: "a JSON Web Token",
  private_key: "a private key",
  connection_string: "a database connection string with a password",
  url_credentials: "a URL with a password in it",
  bearer_token: "a bearer token",
  basic_auth: "HTTP basic-auth credentials",
  authorization: "an Authorization header value",
  password: "a password",
  login_pair: "a login and password written together",
  one_time_code: "a one-time or MFA code",
  credential: "a value assigned to a secret-named field",
} as const;

type SecretKind = keyof typeof SECRET_LABELS;

/** Lower is more specific and wins when two matches overlap (a JWT inside "Bearer ..." is a JWT). */
const RANK_PROVIDER = 0;
const RANK_SCHEME = 1;
const RANK_FIELD = 2;

interface SecretMatch {
  kind: SecretKind;
  start: number;
  end: number;
  rank: number;
}

interface SecretPattern {
  kind: SecretKind;
  rank: number;
  /** Literals of which one must occur before the regex is worth running. */
  hints: readonly string[];
  /** Global. The secret is the last capture group, or the whole match, and always ends the match. */
  pattern: RegExp;
  accept?: (value: string) => boolean;
}

const PROVIDER_PATTERNS: readonly SecretPattern[] = [
  {
    kind: "aws_access_key",
    rank: RANK_PROVIDER,
    hints: ["AKIA", "ASIA", "ABIA", "ACCA"],
    pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g,
  },
  {
    kind: "aws_secret_key",
    rank: RANK_PROVIDER,
    hints: ["aws", "AWS", "Aws"],
    pattern: /aws.{0,20}?secret.{0,20}?["']?\s{0,3}[:=]\s{0,3}["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi,
  },
  {
    kind: "github_token",
    rank: RANK_PROVIDER,
    hints: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,247})\b/g,
  },
  { kind: "gitlab_token", rank: RANK_PROVIDER, hints: ["glpat-"], pattern: /\bglpat-[A-Za-z0-9_-]{20,64}/g },
  { kind: "slack_token", rank: RANK_PROVIDER, hints: ["xox"], pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,250}/g },
  {
    kind: "webhook_url",
    rank: RANK_PROVIDER,
    hints: ["hooks.slack.com", "/api/webhooks/"],
    pattern:
      /https:\/\/(?:hooks\.slack\.com\/services\/[A-Za-z0-9/_-]{20,200}|(?:canary\.|ptb\.)?discord(?:app)?\.com\/api\/webhooks\/\d{5,30}\/[A-Za-z0-9_-]{20,120})/g,
  },
  {
    kind: "stripe_key",
    rank: RANK_PROVIDER,
    hints: ["k_live_", "k_test_", "whsec_"],
    pattern: /\b(?:[rs]k_(?:live|test)_[A-Za-z0-9]{16,247}|whsec_[A-Za-z0-9]{24,128})/g,
  },
  { kind: "anthropic_api_key", rank: RANK_PROVIDER, hints: ["sk-ant-"], pattern: /\bsk-ant-[A-Za-z0-9_-]{20,250}/g },
  {
    kind: "openai_api_key",
    rank: RANK_PROVIDER,
    hints: ["sk-"],
    pattern: /\bsk-(?!ant-)[A-Za-z0-9_-]{20,250}/g,
    // "sk-learn-pipeline-examples" is prose; real keys mix cases and digits.
    accept: (value) => /[a-z]/.test(value) && /[A-Z]/.test(value) && /\d/.test(value),
  },
  {
    kind: "google_api_key",
    rank: RANK_PROVIDER,
    hints: ["AIza"],
    pattern: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g,
  },
  {
    kind: "jwt",
    rank: RANK_PROVIDER,
    hints: ["eyJ"],
    pattern: /\beyJ[A-Za-z0-9_-]{5,2048}\.eyJ[A-Za-z0-9_-]{5,16384}\.[A-Za-z0-9_-]{0,4096}/g,
  },
  {
    kind: "bearer_token",
    rank: RANK_SCHEME,
    hints: ["earer"],
    pattern: /\b[Bb]earer\s{1,3}([A-Za-z0-9._~+/-]{16,4096}=*)/g,
    accept: (value) => characterClasses(value) >= 2,
  },
  {
    kind: "basic_auth",
    rank: RANK_SCHEME,
    hints: ["asic"],
    pattern: /\b[Bb]asic\s{1,3}([A-Za-z0-9+/]{8,1024}={0,2})(?![A-Za-z0-9+/=])/g,
    accept: (value) => Buffer.from(value, "base64").toString("latin1").includes(":"),
  },
];

/** One cheap test that rules out every provider pattern for most strings. */
const ANY_PROVIDER_HINT =
  /AKIA|ASIA|ABIA|ACCA|aws|gh[pousr]_|github_pat_|glpat-|xox|hooks\.slack|\/api\/webhooks\/|k_live_|k_test_|whsec_|sk-|AIza|eyJ|earer|asic|-----BEGIN|:\/\//i;

const CREDENTIAL_URL = /\b([a-z][a-z0-9+.-]{1,20}):\/\/[^\s:@/?#"'`<>]{1,128}:([^\s@/?#"'`<>]{1,256})(?=@)/gi;
const DATABASE_SCHEME =
  /^(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|oracle|clickhouse|cockroachdb|couchdb|neo4j(?:\+s)?|bolt|cassandra|snowflake|db2)$/i;

const PEM_BEGIN = /-----BEGIN (?:[A-Z0-9]{1,16} ){0,3}PRIVATE KEY(?: BLOCK)?-----/g;
const PEM_END = "-----END ";
const PEM_DASHES = "-----";
/** A key cut off before its END line still leaks; this much of it is treated as the secret. */
const TRUNCATED_PEM_LENGTH = 16_384;

const ASSIGNMENT_HINT = /pass|pwd|secret|token|api.?key|access.?key/i;
const ASSIGNMENT =
  /(?<![A-Za-z])(?:pass(?:word|wd|phrase)?|pwd|secret|client[_-]?secret|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|(?:access|auth|api|refresh)[_-]?token|token)["']?\s{0,3}[:=]\s{0,3}["']?([^\s"'`,;&<>]{8,256})/gi;

/*
 * Credentials written into prose: "use mine: dana.w / Summer2025!Acme", "admin@x.com / Nw!Adm1n#2026",
 * "MFA codes: 482913, 771204". Notes, tickets and mail bodies are where a person pastes them, and where
 * no field name announces them. A login pair needs a word that talks about logging in nearby, and a
 * password with three kinds of character; a code needs the words that name it.
 */
const LOGIN_CUE = /cred|password|passwd|log-?in|sign-?in|\bsso\b|use mine|username/i;
const LOGIN_PAIR =
  /(?<![\w.@+-])([a-z0-9][\w.+-]{1,63}(?:@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,4})?)\s{0,2}\/\s{0,2}([^\s/,;()"'`<>]{8,64})/gi;
const ONE_TIME_CODES =
  /\b(?:mfa|2fa|otp|one[- ]time|verification|backup|recovery)\s{1,3}(?:codes?|pins?|passcodes?)\s{0,3}(?:is|are|was|were|:|=)?\s{0,3}((?:\d{6,8}(?:\s{0,2}(?:,|and|or)\s{0,2})?){1,10})/gi;
const CODE = /\d{6,8}/g;
/** "password is hunter2!", "the password was Xy7…": the assignment written as a sentence. */
const PASSWORD_SENTENCE =
  /\b(?:pass(?:word|wd|phrase)|pwd)\s{1,3}(?:is|was|will\s{1,3}be)\s{1,3}["'`]?([^\s"'`,;<>]{6,128})/gi;
const TRAILING_PUNCTUATION = /[.!?:]+$/;

const AUTHORIZATION_VALUE = /^(Bearer|Basic|Token|Bot|Digest|ApiKey|Key)\s{1,3}(\S{8,4096})$/i;
const AWS_SECRET_VALUE = /^[A-Za-z0-9/+]{40}$/;

/** Values that stand for a secret without being one: masks, template variables, "your-key-here". */
const PLACEHOLDER =
  /^(?:[*x•.#-]{3,}|\$\{[^}]{0,128}\}|\$[A-Z_][A-Z0-9_]{0,64}|<[^>]{0,128}>|\{\{[^}]{0,128}\}\}|%[A-Z_]{1,64}%|\[[^\]]{0,64}\]|(?:your|my)[-_ ][\w -]{0,64}|[\w-]{0,48}[-_]here|changeme|change[-_]me|password\d{0,3}|secret|redacted|hidden|none|null|undefined|true|false|example|placeholder|dummy|sample)$/i;
/** "minimum-length-12" is policy prose, not a password. */
const WORDS_LIKE = /^(?:[a-z]{2,}|\d{1,8})(?:[-_.](?:[a-z]{2,}|\d{1,8}))+$/;
const WHITESPACE = /\s/;

const MIN_SECRET_LENGTH = 6;
const MIN_TOKEN_LENGTH = 12;
const MAX_TOKEN_LENGTH = 4096;
const MAX_PASSWORD_LENGTH = 256;
/** Bits per character below which a "token" is more likely a word or an identifier than random. */
const MIN_TOKEN_ENTROPY = 3;

export function detectSecrets(target: ScanTarget, scan: PayloadScan): void {
  const { text } = target;
  if (text.length < MIN_SECRET_LENGTH) return;
  const matches: SecretMatch[] = [];
  if (ANY_PROVIDER_HINT.test(text)) collectProviderSecrets(text, matches);
  if (target.role === "value" && target.encoding === "plain") collectFieldSecret(target, matches);
  if (ASSIGNMENT_HINT.test(text)) collectAssignments(text, matches);
  if (target.profile.spaces > 0) collectProseCredentials(target, matches);
  if (matches.length === 0) return;

  const severity = secretSeverity(scan);
  for (const match of mostSpecific(matches)) {
    const value = text.slice(match.start, match.end);
    scan.report({
      detector: "secrets",
      code: `payload.secret.${match.kind}`,
      message: secretMessage(match.kind, severity),
      severity,
      path: target.path,
      secret: { kind: match.kind, value: target.origin.includes(value) ? value : target.origin },
    });
  }
}

/** Whether a short text (a URL's query value) holds a provider key or a secret-named assignment. */
export function holdsSecret(text: string): boolean {
  if (text.length < MIN_SECRET_LENGTH) return false;
  const matches: SecretMatch[] = [];
  if (ANY_PROVIDER_HINT.test(text)) collectProviderSecrets(text, matches);
  if (ASSIGNMENT_HINT.test(text)) collectAssignments(text, matches);
  return matches.length > 0;
}

/**
 * Registering "credentials" makes carrying one in scope routine ("info", score 0); it never makes
 * sending one out of scope acceptable.
 */
function secretSeverity(scan: PayloadScan): Severity {
  if (scan.leavesScope) return "critical";
  return scan.handles("credentials") ? "info" : "suspicious";
}

function secretMessage(kind: SecretKind, severity: Severity): string {
  const label = SECRET_LABELS[kind];
  if (severity === "critical") return `An argument carries ${label} to a destination outside the agent's scope.`;
  if (severity === "info") return `An argument carries ${label}; the agent is registered to handle credentials.`;
  return `An argument carries ${label}.`;
}

function collectProviderSecrets(text: string, matches: SecretMatch[]): void {
  for (const { kind, rank, hints, pattern, accept } of PROVIDER_PATTERNS) {
    if (!includesAny(text, hints)) continue;
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      const value = match[match.length - 1] ?? match[0];
      if (accept !== undefined && !accept(value)) continue;
      const end = match.index + match[0].length;
      matches.push({ kind, rank, start: end - value.length, end });
    }
  }
  if (text.includes("://")) collectCredentialUrls(text, matches);
  if (text.includes("-----BEGIN")) collectPrivateKeys(text, matches);
}

function includesAny(text: string, hints: readonly string[]): boolean {
  for (const hint of hints) if (text.includes(hint)) return true;
  return false;
}

function collectCredentialUrls(text: string, matches: SecretMatch[]): void {
  CREDENTIAL_URL.lastIndex = 0;
  for (let match = CREDENTIAL_URL.exec(text); match !== null; match = CREDENTIAL_URL.exec(text)) {
    const scheme = match[1] ?? "";
    const password = match[2] ?? "";
    if (PLACEHOLDER.test(password)) continue;
    const end = match.index + match[0].length;
    const kind = DATABASE_SCHEME.test(scheme) ? "connection_string" : "url_credentials";
    matches.push({ kind, rank: RANK_PROVIDER, start: end - password.length, end });
  }
}

function collectPrivateKeys(text: string, matches: SecretMatch[]): void {
  PEM_BEGIN.lastIndex = 0;
  for (let begin = PEM_BEGIN.exec(text); begin !== null; begin = PEM_BEGIN.exec(text)) {
    const endLine = text.indexOf(PEM_END, begin.index + begin[0].length);
    const close = endLine === -1 ? -1 : text.indexOf(PEM_DASHES, endLine + PEM_END.length);
    const end = close === -1 ? Math.min(text.length, begin.index + TRUNCATED_PEM_LENGTH) : close + PEM_DASHES.length;
    matches.push({ kind: "private_key", rank: RANK_PROVIDER, start: begin.index, end });
    // NOTE: resuming after this key keeps the search linear even when no END line ever comes.
    PEM_BEGIN.lastIndex = Math.max(PEM_BEGIN.lastIndex, end);
  }
}

/** A field named like a secret ("password", "api_key", "Authorization") says what its value is. */
function collectFieldSecret(target: ScanTarget, matches: SecretMatch[]): void {
  const traits = keyTraits(target.key);
  if ((traits & (KEY_PASSWORD | KEY_CREDENTIAL | KEY_AUTHORIZATION | KEY_AWS_SECRET)) === 0) return;
  const value = target.text;
  let kind: SecretKind | null = null;
  let rank = RANK_FIELD;
  let start = 0;
  if ((traits & KEY_AUTHORIZATION) !== 0) {
    const header = AUTHORIZATION_VALUE.exec(value);
    const credential = header?.[2];
    if (header !== null && credential !== undefined) {
      kind = header[1]?.toLowerCase() === "basic" ? "basic_auth" : "bearer_token";
      rank = RANK_SCHEME;
      start = value.length - credential.length;
    } else if (looksLikeToken(value)) kind = "authorization";
  } else if ((traits & KEY_AWS_SECRET) !== 0 && AWS_SECRET_VALUE.test(value)) {
    kind = "aws_secret_key";
    rank = RANK_PROVIDER;
  } else if ((traits & KEY_PASSWORD) !== 0) {
    if (value.length <= MAX_PASSWORD_LENGTH && !PLACEHOLDER.test(value)) kind = "password";
  } else if (looksLikeToken(value)) kind = "credential";
  if (kind !== null) matches.push({ kind, rank, start, end: value.length });
}

/** "password=..." or "api_key: ..." written inside free text, a query string or a config file. */
function collectAssignments(text: string, matches: SecretMatch[]): void {
  ASSIGNMENT.lastIndex = 0;
  for (let match = ASSIGNMENT.exec(text); match !== null; match = ASSIGNMENT.exec(text)) {
    const value = match[1] ?? "";
    if (!plausibleAssignedSecret(value)) continue;
    const end = match.index + match[0].length;
    matches.push({ kind: "credential", rank: RANK_FIELD, start: end - value.length, end });
  }
}

/** Login pairs, one-time codes and "the password is …" in free text; see LOGIN_PAIR. */
function collectProseCredentials(target: ScanTarget, matches: SecretMatch[]): void {
  const { text, profile } = target;
  if ((profile.flags & HAS_SLASH) !== 0 && LOGIN_CUE.test(text)) {
    LOGIN_PAIR.lastIndex = 0;
    for (let match = LOGIN_PAIR.exec(text); match !== null; match = LOGIN_PAIR.exec(text)) {
      const value = (match[2] ?? "").replace(TRAILING_PUNCTUATION, "");
      if (!plausibleProsePassword(value)) continue;
      const start = match.index + match[0].length - (match[2] ?? "").length;
      matches.push({ kind: "login_pair", rank: RANK_FIELD, start, end: start + value.length });
    }
  }
  if (profile.digits >= 6) {
    ONE_TIME_CODES.lastIndex = 0;
    for (let match = ONE_TIME_CODES.exec(text); match !== null; match = ONE_TIME_CODES.exec(text)) {
      const list = match[1] ?? "";
      const listStart = match.index + match[0].length - list.length;
      CODE.lastIndex = 0;
      for (let code = CODE.exec(list); code !== null; code = CODE.exec(list)) {
        const start = listStart + code.index;
        matches.push({ kind: "one_time_code", rank: RANK_FIELD, start, end: start + code[0].length });
      }
    }
  }
  if (ASSIGNMENT_HINT.test(text)) {
    PASSWORD_SENTENCE.lastIndex = 0;
    for (let match = PASSWORD_SENTENCE.exec(text); match !== null; match = PASSWORD_SENTENCE.exec(text)) {
      const value = (match[1] ?? "").replace(TRAILING_PUNCTUATION, "");
      if (!plausibleProsePassword(value)) continue;
      const start = match.index + match[0].length - (match[1] ?? "").length;
      matches.push({ kind: "password", rank: RANK_FIELD, start, end: start + value.length });
    }
  }
}

/**
 * A password a person chose: digits or symbols beside letters of both cases, not a path, an address or a
 * hyphenated phrase ("read-only", "Q3-2025-plan" has no lowercase-and-uppercase-and-symbol mix of its own).
 */
function plausibleProsePassword(value: string): boolean {
  return (
    value.length >= 8 &&
    characterClasses(value) >= 3 &&
    !value.includes("://") &&
    !value.includes("@") &&
    !PLACEHOLDER.test(value) &&
    !WORDS_LIKE.test(value)
  );
}

function plausibleAssignedSecret(value: string): boolean {
  return !value.includes("://") && characterClasses(value) >= 2 && !PLACEHOLDER.test(value) && !WORDS_LIKE.test(value);
}

function looksLikeToken(value: string): boolean {
  return (
    value.length >= MIN_TOKEN_LENGTH &&
    value.length <= MAX_TOKEN_LENGTH &&
    !WHITESPACE.test(value) &&
    !value.includes("://") &&
    !PLACEHOLDER.test(value) &&
    characterClasses(value) >= 2 &&
    shannonEntropy(value) >= MIN_TOKEN_ENTROPY
  );
}

/** Of overlapping matches only the most specific survives, so a value is reported and redacted once. */
function mostSpecific(matches: SecretMatch[]): SecretMatch[] {
  matches.sort((a, b) => a.start - b.start);
  const chosen: SecretMatch[] = [];
  let i = 0;
  while (i < matches.length) {
    let best = matches[i] as SecretMatch;
    let clusterEnd = best.end;
    let j = i + 1;
    for (; j < matches.length; j++) {
      const next = matches[j] as SecretMatch;
      if (next.start >= clusterEnd) break;
      if (next.rank < best.rank || (next.rank === best.rank && next.end - next.start > best.end - best.start)) {
        best = next;
      }
      clusterEnd = Math.max(clusterEnd, next.end);
    }
    chosen.push(best);
    i = j;
  }
  return chosen;
}

function characterClasses(value: string): number {
  let lower = 0;
  let upper = 0;
  let digit = 0;
  let other = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) lower = 1;
    else if (c >= 0x41 && c <= 0x5a) upper = 1;
    else if (c >= 0x30 && c <= 0x39) digit = 1;
    else other = 1;
  }
  return lower + upper + digit + other;
}

function shannonEntropy(value: string): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

import type { Severity } from "@mandate/contracts";
import type { ScanTarget } from "./argument-walk.js";
import type { PayloadScan } from "./payload-scan.js";
import { HAS_BACKSLASH, HAS_DOT_DOT, HAS_SLASH } from "./text-profile.js";

const SENSITIVE_HINT =
  /etc[/\\]|\.ssh|\.aws|\.kube|\.docker|\.netrc|\.pgpass|\.git-credentials|proc[/\\]|system32|win\.ini|boot\.ini/i;
/** Files whose content is a credential: reading or writing them is never routine for an agent. */
const CREDENTIAL_FILE =
  /\/etc\/(?:shadow|gshadow|master\.passwd|sudoers)(?![\w.-])|\.ssh\/(?:id_(?:rsa|dsa|ecdsa|ed25519)(?![\w.-])|authorized_keys)|\.aws\/credentials|\.git-credentials|(?:^|\/)\.netrc(?![\w.-])|(?:^|\/)\.pgpass(?![\w.-])|\.kube\/config(?![\w.-])|\.docker\/config\.json|\/proc\/(?:self|\d{1,7})\/(?:environ|mem|maps)(?![\w.-])|system32\/config\/(?:sam|system|security)(?![\w.-])/;
/** System files that reveal the host; a classic first probe, but also mentioned in ordinary ops work. */
const SYSTEM_FILE =
  /\/etc\/(?:passwd|group|crontab)(?![\w.-])|(?:^|[^\w])[a-z]:\/windows\/system32(?![\w.-])|\/windows\/win\.ini|(?:^|\/)boot\.ini/;
/**
 * A dotenv file: an application's secrets, one per line. The checked-in templates (`.env.example`,
 * `.env.sample` …) hold none. Judged in short values only (a path, a command line), because code and
 * docs that load or describe `.env` are ordinary writing.
 */
const DOTENV_FILE =
  /(?:^|[\s/\\"'=:])\.env(?:\.(?!(?:example|sample|template|dist|defaults?|schema|tpl)(?![\w-]))[\w-]{1,32})?(?![\w.-])/i;
const DOTENV_VALUE_LENGTH = 256;
const BACKSLASHES = /\\/g;
const REPEATED_SLASHES = /\/{2,}/g;

const PATH_TOKEN = /[^\s"'<>|;,()`]{2,1024}/g;
const URL_PREFIX = /^[a-z][a-z0-9+.-]{0,15}:\/\/[^/\\]{0,512}/i;
const QUERY_OR_FRAGMENT = /[?#]/;
const ABSOLUTE = /^(?:[/\\]|[a-z]:[/\\]|~)/i;
const SEGMENT_SEPARATOR = /[/\\]+/;
/** Code and documents are full of "../lib/x.js"; traversal is judged in short one-line values. */
const SHORT_VALUE_LENGTH = 1024;

type Sensitivity = "credential" | "system" | null;

export function detectPathTraversal(target: ScanTarget, scan: PayloadScan): void {
  const { text, profile } = target;
  if ((profile.flags & HAS_DOT_DOT) !== 0) judgeTraversal(target, scan);
  if ((profile.flags & (HAS_SLASH | HAS_BACKSLASH)) !== 0 && SENSITIVE_HINT.test(text)) {
    const sensitivity = sensitivityOf(normalisePath(text));
    if (sensitivity === "credential") {
      report(target, scan, "credential_file", "critical", "An argument names a file that holds credentials or keys.");
    } else if (sensitivity === "system") {
      report(target, scan, "system_file", "suspicious", "An argument names a system file that describes the host.");
    }
  }
  if (text.length <= DOTENV_VALUE_LENGTH && profile.newlines === 0 && text.includes(".env") && DOTENV_FILE.test(text)) {
    report(
      target,
      scan,
      "secrets_file",
      "suspicious",
      "An argument names a dotenv file, where applications keep secrets.",
    );
  }
  // A NUL cuts the path short in C code underneath ("report.pdf%00.png" opens "report.pdf").
  if (target.encoding === "url" && text.includes("\u0000")) {
    report(target, scan, "null_byte", "suspicious", "An argument hides a NUL byte behind URL encoding.");
  }
}

function report(target: ScanTarget, scan: PayloadScan, code: string, severity: Severity, message: string): void {
  scan.report({ detector: "path", code: `payload.path.${code}`, message, severity, path: target.path });
}

function judgeTraversal(target: ScanTarget, scan: PayloadScan): void {
  const { text, profile } = target;
  const encoded = target.encoding !== "plain";
  const shortValue = text.length <= SHORT_VALUE_LENGTH && profile.newlines === 0;
  const wholeValue = text.trim();
  PATH_TOKEN.lastIndex = 0;
  for (let match = PATH_TOKEN.exec(text); match !== null; match = PATH_TOKEN.exec(text)) {
    const token = match[0];
    if (!token.includes("..")) continue;
    const { escapes, resolved } = resolvePath(token);
    const sensitivity = sensitivityOf(normalisePath(resolved));
    // One level up is common in relative paths; two, or a whole value that climbs out, is not.
    const escaping = escapes >= 2 || (escapes >= 1 && token === wholeValue);
    if (sensitivity !== null || (escaping && (shortValue || encoded))) {
      const critical = sensitivity !== null || encoded;
      report(
        target,
        scan,
        "traversal",
        critical ? "critical" : "suspicious",
        encoded
          ? "An argument hides a path traversal behind encoding."
          : sensitivity !== null
            ? "An argument climbs out of its directory to a sensitive file."
            : "An argument climbs out of its directory with '../'.",
      );
      return;
    }
  }
}

/** How many levels a path climbs above where it starts, and where it ends up. */
function resolvePath(token: string): { escapes: number; resolved: string } {
  let path = token;
  const url = URL_PREFIX.exec(path);
  if (url !== null) path = path.slice(url[0].length);
  const query = path.search(QUERY_OR_FRAGMENT);
  if (query !== -1) path = path.slice(0, query);
  const segments: string[] = [];
  let escapes = 0;
  for (const segment of path.split(SEGMENT_SEPARATOR)) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (segments.length > 0) segments.pop();
      else escapes++;
    } else segments.push(segment);
  }
  // Climbing above the start reaches the root in the end; "../../etc/passwd" is aimed at "/etc/passwd".
  const absolute = url !== null || escapes > 0 || ABSOLUTE.test(path);
  return { escapes, resolved: `${absolute ? "/" : ""}${segments.join("/")}` };
}

function normalisePath(text: string): string {
  return text.toLowerCase().replace(BACKSLASHES, "/").replace(REPEATED_SLASHES, "/");
}

function sensitivityOf(normalised: string): Sensitivity {
  if (CREDENTIAL_FILE.test(normalised)) return "credential";
  if (SYSTEM_FILE.test(normalised)) return "system";
  return null;
}

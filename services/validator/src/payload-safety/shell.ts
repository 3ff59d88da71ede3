import type { Severity } from "@mandate/contracts";
import type { ScanTarget } from "./argument-walk.js";
import type { PayloadScan } from "./payload-scan.js";
import { HAS_BACKSLASH, HAS_COLON, HAS_HYPHEN, HAS_SHELL_META, HAS_SLASH } from "./text-profile.js";

/*
 * Destructive commands, reverse shells and download-and-run are judged in every argument. Command
 * substitution and chaining are ordinary syntax in a shell tool's command, so they are judged only in
 * other tools' short one-line values (a file name, a host, a search term), where they mean injection.
 */

/** Every command below needs one of these: a separator, a flag, a path, a drive letter or a redirection. */
const SHELL_PUNCTUATION = HAS_SHELL_META | HAS_SLASH | HAS_BACKSLASH | HAS_COLON | HAS_HYPHEN;
const SHELL_HINT =
  /[;|&`$>]|\/dev\/|\(\)|\b(?:rm|rmdir|rd|del|erase|format|mkfs|mke2fs|wipefs|dd|shred|chmod|chown|nc|ncat|netcat|socat|curl|wget|bash|sh|zsh|python[23]?|perl|ruby|php|powershell|pwsh|iex|mkfifo|remove-item)\b/i;

const RM_RECURSIVE =
  /\brm\s{1,8}((?:-{1,2}[\w-]{1,24}\s{1,8}){1,6})["']?(?:\/\*?|~\/?|\$HOME\/?|\$\{HOME\}\/?|\*|\.\/?\*?|\/(?:etc|usr|var|home|boot|bin|sbin|lib|lib64|opt|root|srv|sys|dev)\/?\*?)["']?(?=$|[\s;&|)`])/g;
const RECURSIVE_FLAG = /(?:^|\s)-[a-zA-Z]*[rR][a-zA-Z]*\s|--recursive\b/;
const DESTRUCTIVE: readonly RegExp[] = [
  /\brm\b[^\n;|&]{0,256}--no-preserve-root\b/,
  /\b(?:mkfs(?:\.\w{1,10})?|mke2fs|wipefs)\s{1,8}\S/,
  /\bdd\s[^\n;|&]{0,256}\bof=\/dev\/(?!null\b|zero\b|stdout\b|stderr\b|u?random\b)/,
  />\s{0,4}\/dev\/(?:sd[a-z]|hd[a-z]|nvme\d|xvd[a-z]|vd[a-z]|mmcblk\d|disk\d)/,
  /\bshred\s[^\n;|&]{0,256}\/dev\//,
  /\bchmod\s{1,8}(?:-{1,2}[\w-]{1,24}\s{1,8}){0,4}(?:0?777|a\+rwx|ugo\+rwx)\s{1,8}["']?\/(?:\*|etc|usr|var|bin|sbin|boot|root|home|lib)?\/?["']?(?=$|[\s;&|)])/,
  /\b(?:rd|rmdir|del|erase)\s{1,4}(?:\/[sqfa]\s{1,4}){1,4}[a-z]:\\?(?:\*|\s|$|["'])/i,
  /\bformat\s{1,4}[a-z]:(?:\s|$|\/)/i,
  /\bremove-item\b[^\n;|]{0,200}-recurse\b[^\n;|]{0,200}[a-z]:\\(?:\s|$|\*|["'])/i,
];
const FORK_BOMB: readonly RegExp[] = [
  /:\s{0,4}\(\s{0,4}\)\s{0,4}\{\s{0,4}:\s{0,4}\|\s{0,4}:\s{0,4}&\s{0,4}\}\s{0,4};\s{0,4}:/,
  /\b(\w{1,32})\s{0,4}\(\s{0,4}\)\s{0,4}\{\s{0,4}\1\s{0,4}\|\s{0,4}\1\s{0,4}&/,
];
const REVERSE_SHELL: readonly RegExp[] = [
  /\/dev\/(?:tcp|udp)\/[^\s/]{1,255}\/\d{1,5}/,
  /\b(?:nc|ncat|netcat)(?:\.exe)?(?:\s[^\n;|&]{0,200})?\s-[a-zA-Z]{0,6}[ec]\s/,
  /\bsocat\b[^\n;|]{0,200}\bexec:/i,
  /\bpty\.spawn\s{0,4}\(/,
  /\bmkfifo\b[^\n]{0,200}\b(?:nc|ncat|netcat)\b/,
  /\bsocket\.socket\s{0,4}\([^\n]{0,300}\b(?:os\.dup2|subprocess)\b/,
  /System\.Net\.Sockets\.TCPClient/i,
];
const SHELL_PROGRAM = String.raw`(?:\/(?:usr\/)?(?:local\/)?bin\/)?(?:ba|z|k|da|c|tc|fi)?sh\b`;
const REMOTE_EXEC: readonly RegExp[] = [
  new RegExp(
    String.raw`\b(?:curl|wget|fetch)\b[^\n;&|]{0,512}\|\s{0,4}(?:sudo\s{1,4}(?:-\S{1,16}\s{1,4}){0,3})?${SHELL_PROGRAM}`,
  ),
  /\b(?:curl|wget)\b[^\n;&|]{0,512}\|\s{0,4}(?:sudo\s{1,4})?(?:python[23]?|perl|ruby|node|php)\b/,
  /\b(?:ba|z|k)?sh\s{1,4}<\(\s{0,4}(?:curl|wget)\b/,
  /\b(?:ba|z|k)?sh\s{1,4}-c\s{1,4}["']?\s{0,4}\$\(\s{0,4}(?:curl|wget)\b/,
  new RegExp(String.raw`\bbase64\s{1,4}(?:-d|--decode|-D)\b[^\n;&|]{0,256}\|\s{0,4}${SHELL_PROGRAM}`),
  /\b(?:iex|invoke-expression)\b[^\n]{0,200}(?:downloadstring|invoke-webrequest|iwr\b|net\.webclient)/i,
  /\b(?:powershell|pwsh)(?:\.exe)?\b[^\n]{0,100}\s-(?:e|enc|encodedcommand)\s{1,4}[A-Za-z0-9+/=]{16,8192}/i,
];
const PIPE_TO_SHELL = new RegExp(String.raw`\|\s{0,4}(?:sudo\s{1,4})?${SHELL_PROGRAM}(?:\s|$)`);

const SUBSTITUTION = /\$\(\s{0,4}[A-Za-z_./][\w./-]{0,64}[^)]{0,256}\)/;
const BACKTICK_COMMAND =
  /`\s{0,4}(?:curl|wget|rm|nc|ncat|bash|sh|python[23]?|perl|cat|id|whoami|uname|chmod|base64|echo|ls|ping|nslookup|sleep|env)\b[^`]{0,256}`/;
/** A value, then a separator, then a command: `127.0.0.1; cat /etc/passwd`, `report.pdf && curl ...`. */
const COMMAND_CHAINING =
  /^[^\s;&|`$]{0,128}["']?\s{0,4}(?:;|&&|\|\|?)\s{0,4}(?:sudo\s{1,4})?(?:rm|curl|wget|nc|ncat|bash|sh|zsh|python[23]?|perl|ruby|php|chmod|chown|cat|whoami|id|uname|ls|nslookup|ping|sleep|powershell|cmd|certutil|echo|env|printenv|kill|reboot|shutdown)\b/;
/** Longer or multi-line values are prose or code, where `$(...)` and backticks are ordinary text. */
const SHORT_VALUE_LENGTH = 512;
/** Markdown puts commands in backticks; a value with more words than this is prose about a command. */
const BACKTICK_MAX_SPACES = 4;

export function detectShell(target: ScanTarget, scan: PayloadScan): void {
  const { text, profile } = target;
  if ((profile.flags & SHELL_PUNCTUATION) === 0 || !SHELL_HINT.test(text)) return;

  if (removesRecursivelyFromRoot(text) || DESTRUCTIVE.some((pattern) => pattern.test(text))) {
    report(
      target,
      scan,
      "destructive",
      "critical",
      "An argument holds a command that destroys files, disks or permissions.",
    );
  }
  if (FORK_BOMB.some((pattern) => pattern.test(text))) {
    report(target, scan, "fork_bomb", "critical", "An argument holds a fork bomb.");
  }
  if (REVERSE_SHELL.some((pattern) => pattern.test(text))) {
    report(target, scan, "reverse_shell", "critical", "An argument holds a reverse shell.");
  }
  if (REMOTE_EXEC.some((pattern) => pattern.test(text))) {
    report(target, scan, "remote_exec", "critical", "An argument downloads or decodes code and runs it at once.");
  } else if (PIPE_TO_SHELL.test(text)) {
    report(target, scan, "pipe_to_shell", "suspicious", "An argument pipes text into a shell.");
  }

  if (scan.shellTool || text.length > SHORT_VALUE_LENGTH || profile.newlines > 0) return;
  if (SUBSTITUTION.test(text) || (profile.spaces <= BACKTICK_MAX_SPACES && BACKTICK_COMMAND.test(text))) {
    report(target, scan, "command_substitution", "suspicious", "An argument holds shell command substitution.");
  }
  if (COMMAND_CHAINING.test(text)) {
    report(target, scan, "command_chaining", "suspicious", "An argument chains a shell command onto a value.");
  }
}

function report(target: ScanTarget, scan: PayloadScan, code: string, severity: Severity, message: string): void {
  scan.report({ detector: "shell", code: `payload.shell.${code}`, message, severity, path: target.path });
}

function removesRecursivelyFromRoot(text: string): boolean {
  if (!text.includes("rm")) return false;
  RM_RECURSIVE.lastIndex = 0;
  for (let match = RM_RECURSIVE.exec(text); match !== null; match = RM_RECURSIVE.exec(text)) {
    if (RECURSIVE_FLAG.test(` ${match[1] ?? ""}`)) return true;
  }
  return false;
}

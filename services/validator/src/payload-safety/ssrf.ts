import type { Severity } from "@mandate/contracts";
import type { ScanTarget } from "./argument-walk.js";
import { type AddressClass, classifyIPv4, classifyIPv6, parseIPv4, parseIPv6 } from "./ip-address.js";
import { KEY_HOST, KEY_VERSION, keyTraits } from "./key-traits.js";
import type { PayloadScan } from "./payload-scan.js";
import { percentDecode } from "./text-decoding.js";
import { HAS_COLON, HAS_NON_ASCII } from "./text-profile.js";

/*
 * Hosts are read from URLs anywhere in an argument, and from values that are nothing but a host. Loose
 * IPv4 forms ("2130706433", "0x7f.1") only count inside URLs or under a host-like key: elsewhere they are
 * order numbers and versions.
 */

const URL_AUTHORITY = /\b([a-z][a-z0-9+.-]{0,15}):\/\/([^\s/?#\\"'<>`]{1,512})/gi;
const DANGEROUS_SCHEMES = new Set(["gopher", "dict", "tftp", "jar", "netdoc", "phar"]);
const BARE_HOST_MAX_LENGTH = 300;
const BARE_HOST_END = /[/?#]/;
const HOSTNAME_HINT =
  /local|metadata|instance-data|internal|consul|\.svc|nip\.io|sslip\.io|xip\.io|traefik\.me|lvh\.me|vcap\.me/i;
const PORT_SUFFIX = /:\d{0,5}$/;
const IPV6_BRACKETS = /^\[|\]$/g;
/** Full-width and ideographic dots that IDNA maps to "." */
const UNICODE_DOTS = /[\u3002\uff0e\uff61]/g;
/** A number is only an IPv4 address written as one integer from 1.0.0.0 on; smaller ones are counts. */
const MIN_SINGLE_NUMBER_ADDRESS = 2 ** 24;
const LOOSE_ADDRESS_SHAPE = /^(?:0x|0\d)|\./i;

const METADATA_HOSTS = new Set([
  "metadata.google.internal",
  "metadata.goog",
  "metadata",
  "instance-data",
  "instance-data.ec2.internal",
  "metadata.tencentyun.com",
]);
const LOOPBACK_HOSTS = new Set(["localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"]);
/** Public DNS names that resolve to 127.0.0.1: a way around a "no localhost" check. */
const LOOPBACK_ALIASES = /(?:^|\.)(?:localtest\.me|lvh\.me|vcap\.me)$/;
/** Wildcard DNS services answer with the address written in the name: 10.0.0.1.nip.io → 10.0.0.1. */
const EMBEDDED_ADDRESS_HOST =
  /(?:^|[.-])(\d{1,3})[.-](\d{1,3})[.-](\d{1,3})[.-](\d{1,3})\.(?:nip\.io|sslip\.io|xip\.io|traefik\.me)$/;

interface HostVerdict {
  addressClass: AddressClass | "internal_name";
  /** Written so as to slip past a naive check: encoded, numeric tricks, DNS aliases, userinfo. */
  disguised: boolean;
}

const CLASS_LABELS: Record<HostVerdict["addressClass"], string> = {
  metadata: "a cloud metadata endpoint",
  loopback: "the local host",
  private_network: "a private network address",
  link_local: "a link-local address",
  internal_name: "a host named as internal to a private network",
};

export function detectSsrf(target: ScanTarget, scan: PayloadScan): void {
  const { text, profile } = target;
  if (text.includes("://")) {
    judgeUrls(target, scan);
  } else if (text.length <= BARE_HOST_MAX_LENGTH && profile.spaces === 0 && profile.newlines === 0) {
    const traits = keyTraits(target.key);
    if ((traits & KEY_VERSION) !== 0) return;
    if (profile.digits === 0 && (profile.flags & (HAS_COLON | HAS_NON_ASCII)) === 0 && !HOSTNAME_HINT.test(text)) {
      return;
    }
    const host = bareHost(text);
    const hostKey = (traits & KEY_HOST) !== 0;
    const verdict = classifyHost(host, hostKey ? "host_key" : "text") ?? bareInternalName(host, hostKey);
    if (verdict !== null) reportHost(target, scan, host, verdict);
  }
}

function judgeUrls(target: ScanTarget, scan: PayloadScan): void {
  const { text } = target;
  URL_AUTHORITY.lastIndex = 0;
  for (let match = URL_AUTHORITY.exec(text); match !== null; match = URL_AUTHORITY.exec(text)) {
    const scheme = (match[1] ?? "").toLowerCase();
    const authority = match[2] ?? "";
    if (DANGEROUS_SCHEMES.has(scheme)) {
      scan.report({
        detector: "ssrf",
        code: "payload.ssrf.dangerous_scheme",
        message: `An argument holds a ${scheme}:// URL, a scheme used to smuggle raw requests to internal services.`,
        severity: "suspicious",
        path: target.path,
      });
    }
    const at = authority.lastIndexOf("@");
    const host = stripPort(authority.slice(at + 1));
    const verdict = classifyHost(host, "url") ?? internalName(host, target, match.index);
    if (verdict === null) continue;
    // "https://trusted.example@10.0.0.5/" shows one host to a reader and connects to the other.
    const userinfoTrick = at !== -1 && authority.slice(0, at).includes(".");
    reportHost(target, scan, host, { ...verdict, disguised: verdict.disguised || userinfoTrick });
  }
}

/**
 * Labels that name a private zone by convention (`jenkins.internal.acme.com`, `nas.local`,
 * `wiki.corp.example`): such a name resolves only inside the network. Judged only when the whole
 * argument is the URL, i.e. something is about to be fetched from it, not written about.
 */
const INTERNAL_LABEL = /(?:^|\.)(?:internal|intranet|corp|lan|local|localdomain|private|home\.arpa)(?:\.|$)/;
/**
 * Suffixes that only service discovery inside a cluster or a cloud network answers for: a bare value
 * ending so is an address, whatever its key ("redis.payments.svc.cluster.local").
 */
const CLUSTER_SUFFIX = /\.(?:svc|svc\.cluster\.local|cluster\.local|internal|consul)$/;
const HOST_NAME = /^[a-z0-9](?:[a-z0-9-]{0,62}\.){1,10}[a-z0-9-]{1,63}$/;

function internalName(host: string, target: ScanTarget, at: number): HostVerdict | null {
  if (at !== 0 || target.profile.spaces !== 0 || target.profile.newlines !== 0) return null;
  const name = host.toLowerCase();
  return INTERNAL_LABEL.test(name) || CLUSTER_SUFFIX.test(name)
    ? { addressClass: "internal_name", disguised: false }
    : null;
}

/** A bare value that is a host name in a private zone: under a host-like key, or with a cluster suffix. */
function bareInternalName(host: string, hostKey: boolean): HostVerdict | null {
  const name = host.toLowerCase();
  if (!HOST_NAME.test(name)) return null;
  if (CLUSTER_SUFFIX.test(name) || (hostKey && INTERNAL_LABEL.test(name))) {
    return { addressClass: "internal_name", disguised: false };
  }
  return null;
}

function reportHost(target: ScanTarget, scan: PayloadScan, host: string, verdict: HostVerdict): void {
  const { addressClass } = verdict;
  // The destination the agent is registered for may itself be internal; arguments naming it are expected.
  const sameHost = host.toLowerCase().replace(IPV6_BRACKETS, "") === scan.destinationHost;
  if (addressClass !== "metadata" && scan.context.destinationInScope && sameHost) return;
  const disguised = verdict.disguised || target.encoding !== "plain";
  // A value that is nothing but the address is what the tool will connect to; one named in prose may not be.
  const wholeValue = target.profile.spaces === 0 && target.profile.newlines === 0;
  const severity: Severity = addressClass === "metadata" || disguised || wholeValue ? "critical" : "suspicious";
  scan.report({
    detector: "ssrf",
    code: `payload.ssrf.${addressClass}`,
    message: `An argument points at ${CLASS_LABELS[addressClass]}${disguised ? ", written in a disguised form" : ""}.`,
    severity,
    path: target.path,
  });
}

function bareHost(value: string): string {
  const trimmed = value.trim();
  if (trimmed.startsWith("[")) {
    const close = trimmed.indexOf("]");
    return close === -1 ? trimmed : trimmed.slice(0, close + 1);
  }
  const end = trimmed.search(BARE_HOST_END);
  return stripPort(end === -1 ? trimmed : trimmed.slice(0, end));
}

/** Removes ":port", but not the last group of an unbracketed IPv6 address. */
function stripPort(host: string): string {
  if (host.startsWith("[")) {
    const close = host.indexOf("]");
    return close === -1 ? host : host.slice(0, close + 1);
  }
  const colon = host.indexOf(":");
  return colon !== -1 && colon === host.lastIndexOf(":") ? host.replace(PORT_SUFFIX, "") : host;
}

/**
 * Where a host was read: inside a URL (any number is an address there: "http://0/" is the local host),
 * as a value under a host-like key, or as a value elsewhere, where "metadata" or "2130706433" is more
 * likely a word or an order number.
 */
type HostSetting = "url" | "host_key" | "text";

function classifyHost(raw: string, setting: HostSetting): HostVerdict | null {
  let host = raw;
  let disguised = false;
  if (host.includes("%")) {
    const decoded = percentDecode(host);
    disguised = decoded !== host;
    host = decoded;
  }
  if (hasNonAscii(host)) {
    host = host.normalize("NFKC").replace(UNICODE_DOTS, ".");
    disguised = true;
  }
  host = host.toLowerCase();
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (host === "") return null;

  if (host.includes(":")) {
    const hextets = parseIPv6(host);
    const verdict = hextets === null ? null : classifyIPv6(hextets);
    return verdict === null ? null : { addressClass: verdict.addressClass, disguised: disguised || verdict.embedded };
  }
  const v4 = parseIPv4(host);
  if (v4 !== null) {
    const loose = setting === "url" || (setting === "host_key" && looksLikeLooseAddress(host, v4.value));
    if (!v4.canonical && !loose) return null;
    const addressClass = classifyIPv4(v4.value);
    return addressClass === null ? null : { addressClass, disguised: disguised || !v4.canonical };
  }
  return classifyHostname(host, disguised, setting);
}

function looksLikeLooseAddress(host: string, value: number): boolean {
  return host === "0" || LOOSE_ADDRESS_SHAPE.test(host) || value >= MIN_SINGLE_NUMBER_ADDRESS;
}

function classifyHostname(host: string, disguised: boolean, setting: HostSetting): HostVerdict | null {
  // A single label ("metadata") resolves only through the cloud's DNS, and elsewhere it is a plain word.
  if (METADATA_HOSTS.has(host) && (setting !== "text" || host.includes("."))) {
    return { addressClass: "metadata", disguised };
  }
  if (LOOPBACK_HOSTS.has(host) || host.endsWith(".localhost")) return { addressClass: "loopback", disguised };
  if (LOOPBACK_ALIASES.test(host)) return { addressClass: "loopback", disguised: true };
  const embedded = EMBEDDED_ADDRESS_HOST.exec(host);
  if (embedded !== null) {
    const v4 = parseIPv4(embedded.slice(1, 5).join("."));
    const addressClass = v4 === null ? null : classifyIPv4(v4.value);
    if (addressClass !== null) return { addressClass, disguised: true };
  }
  return null;
}

function hasNonAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return true;
  return false;
}

/** Where an address leads, for the address classes an agent's arguments should not point at. */
export type AddressClass = "metadata" | "loopback" | "private_network" | "link_local";

export interface ParsedIPv4 {
  value: number;
  /** Written as four plain decimal parts; anything else (hex, octal, fewer parts) is an evasion form. */
  canonical: boolean;
}

const HEX_PART = /^0x[0-9a-f]*$/i;
const OCTAL_PART = /^0[0-7]+$/;
const DECIMAL_PART = /^(?:0|[1-9]\d{0,9})$/;
const CANONICAL_PART = /^(?:0|[1-9]\d{0,2})$/;

/** IPv4 as inet_aton and URL parsers read it: "127.1", "0x7f000001", "2130706433" and "0177.0.0.1" all count. */
export function parseIPv4(host: string): ParsedIPv4 | null {
  const parts = host.split(".");
  if (parts.length > 4) return null;
  const numbers: number[] = [];
  for (const part of parts) {
    const value = parseIPv4Part(part);
    if (value === null) return null;
    numbers.push(value);
  }
  // inet_aton: every part but the last is one byte; the last fills the remaining bytes.
  let value = 0;
  for (let i = 0; i < numbers.length; i++) {
    const n = numbers[i] as number;
    const isLast = i === numbers.length - 1;
    if (n >= (isLast ? 256 ** (4 - i) : 256)) return null;
    value += isLast ? n : n * 256 ** (3 - i);
  }
  return { value, canonical: parts.length === 4 && parts.every((part) => CANONICAL_PART.test(part)) };
}

function parseIPv4Part(part: string): number | null {
  if (HEX_PART.test(part)) return part.length === 2 ? 0 : parseInt(part.slice(2), 16);
  if (OCTAL_PART.test(part)) return parseInt(part, 8);
  if (DECIMAL_PART.test(part)) return Number(part);
  return null;
}

const METADATA_IPV4 = new Set([
  ipv4(169, 254, 169, 254), // AWS, GCP, Azure, OpenStack, Oracle
  ipv4(169, 254, 170, 2), // AWS ECS task metadata
  ipv4(100, 100, 100, 200), // Alibaba Cloud
  ipv4(192, 0, 0, 192), // Oracle Cloud (legacy)
]);

function ipv4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
}

export function classifyIPv4(value: number): AddressClass | null {
  if (METADATA_IPV4.has(value)) return "metadata";
  const a = value >>> 24;
  const b = (value >>> 16) & 0xff;
  // 0.0.0.0/8 reaches the local host on Linux.
  if (a === 127 || a === 0) return "loopback";
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return "private_network";
  // 100.64.0.0/10 is carrier-grade NAT space, internal to the provider's network.
  if (a === 100 && b >= 64 && b <= 127) return "private_network";
  if (a === 169 && b === 254) return "link_local";
  return null;
}

const HEXTET = /^[0-9a-f]{1,4}$/;

/** Eight 16-bit groups, or null. Accepts "::" compression, a dotted IPv4 tail and a zone ("%eth0"). */
export function parseIPv6(host: string): number[] | null {
  let address = host;
  const zone = address.indexOf("%");
  if (zone !== -1) address = address.slice(0, zone);
  const tail: number[] = [];
  const lastColon = address.lastIndexOf(":");
  if (lastColon !== -1 && address.includes(".", lastColon)) {
    const v4 = parseIPv4(address.slice(lastColon + 1));
    if (v4 === null || !v4.canonical) return null;
    tail.push(v4.value >>> 16, v4.value & 0xffff);
    // Keep the colons before the IPv4 part only when they are the "::" compression.
    address = address.slice(0, lastColon + 1);
    if (!address.endsWith("::")) address = address.slice(0, -1);
  }
  const halves = address.split("::");
  if (halves.length > 2) return null;
  const head = groups(halves[0] ?? "");
  const rest = halves.length === 2 ? groups(halves[1] ?? "") : [];
  if (head === null || rest === null) return null;
  const explicit = head.length + rest.length + tail.length;
  if (halves.length === 1) return explicit === 8 ? [...head, ...tail] : null;
  if (explicit > 7) return null;
  return [...head, ...new Array<number>(8 - explicit).fill(0), ...rest, ...tail];
}

function groups(text: string): number[] | null {
  if (text === "") return [];
  const result: number[] = [];
  for (const group of text.split(":")) {
    if (!HEXTET.test(group)) return null;
    result.push(parseInt(group, 16));
  }
  return result;
}

export interface IPv6Verdict {
  addressClass: AddressClass;
  /** The class came from an IPv4 address carried inside the IPv6 one (mapped, NAT64, 6to4). */
  embedded: boolean;
}

export function classifyIPv6(hextets: readonly number[]): IPv6Verdict | null {
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0, h = 0] = hextets;
  const embeddedV4 = (high: number, low: number): IPv6Verdict | null => {
    const addressClass = classifyIPv4(((high << 16) >>> 0) + low);
    return addressClass === null ? null : { addressClass, embedded: true };
  };
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0) {
    if (f === 0 && g === 0 && h <= 1) return { addressClass: "loopback", embedded: false };
    if (f === 0xffff || f === 0) return embeddedV4(g, h);
  }
  if (a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0) return embeddedV4(g, h);
  if (a === 0x2002) return embeddedV4(b, c);
  if (a === 0xfd00 && b === 0x0ec2 && c === 0 && d === 0 && e === 0 && f === 0 && g === 0 && h === 0x254) {
    return { addressClass: "metadata", embedded: false };
  }
  if ((a & 0xffc0) === 0xfe80) return { addressClass: "link_local", embedded: false };
  if ((a & 0xfe00) === 0xfc00) return { addressClass: "private_network", embedded: false };
  return null;
}

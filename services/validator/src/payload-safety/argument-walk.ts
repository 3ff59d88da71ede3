import type { PayloadLimits } from "./finding.js";
import { KEY_PII_FIELD, keyTraits } from "./key-traits.js";
import { BULK_RECORD_COUNT, type PayloadScan } from "./payload-scan.js";
import { shapeFinding } from "./shape.js";
import { base64Decoded, readNestedJson, urlDecoded } from "./text-decoding.js";
import { foldText } from "./normalise-text.js";
import {
  HAS_CONTROL,
  HAS_LONE_SURROGATE,
  HAS_NON_ASCII,
  HAS_PERCENT,
  profileText,
  type TextProfile,
} from "./text-profile.js";

/** "normalised": invisible characters removed and look-alike letters folded (see foldText). */
export type Encoding = "plain" | "url" | "base64" | "normalised";

/** One string a detector reads: an argument value, an unusual key, or a decoded view of either. */
export interface ScanTarget {
  path: string;
  /** Nearest object key above the value (array items inherit it); null for keys themselves and the root. */
  key: string | null;
  role: "value" | "key";
  text: string;
  /** "plain" for text as the JSON holds it, else the first decoding on the way to this view. */
  encoding: Encoding;
  /**
   * The argument string as the parsed JSON holds it. Redaction can only replace what is literally there,
   * so a secret seen only after decoding is redacted by replacing this whole string.
   */
  origin: string;
  profile: TextProfile;
}

export type Detector = (target: ScanTarget, scan: PayloadScan) => void;

/** How a string was reached: through how many decodings, and from which argument string. */
interface Lineage {
  decodeDepth: number;
  carrier: string | null;
  encoding: Encoding;
}

const AS_WRITTEN: Lineage = { decodeDepth: 0, carrier: null, encoding: "plain" };
/** Bounds the views per string: e.g. base64 inside URL-encoding is seen, a third layer is not. */
const MAX_DECODE_DEPTH = 2;
/** Smaller integers cannot be card numbers, SSNs or IPv4 addresses written as one number. */
const NUMBER_SCAN_MIN = 1e8;
/** Keys that look like identifiers are not scanned: they are the tool's schema, not content. */
const PLAIN_KEY = /^[A-Za-z_$][\w$-]{0,31}$/;
const RECORD_SAMPLE = 5;
const QUOTED_KEY_MAX = 40;
const REDACTED_KEY = '"[REDACTED]"';

/** Walks parsed arguments and hands every string, with its decoded views, to every detector. */
export class ArgumentWalker {
  private nodesUsed: number;

  constructor(
    private readonly scan: PayloadScan,
    private readonly detectors: readonly Detector[],
    private readonly limits: PayloadLimits,
    rootNodes: number,
  ) {
    this.nodesUsed = rootNodes;
  }

  walkRoot(value: unknown): void {
    this.walk(value, "$", null, 0, AS_WRITTEN);
  }

  /**
   * One of the action's own fields, read as if it were an argument under `key`: the destination as a
   * host, the resource and intent as text.
   */
  scanActionField(text: string, field: "resource" | "destination" | "intent", key: string | null): void {
    this.visitString(text, field, key, "value", 0, AS_WRITTEN);
  }

  /** For arguments that did not parse: the raw text is still read, so secrets in it can be redacted. */
  scanRawText(text: string): void {
    this.visitString(text, "$", null, "value", 0, AS_WRITTEN);
  }

  private walk(value: unknown, path: string, key: string | null, depth: number, lineage: Lineage): void {
    if (typeof value === "string") {
      this.visitString(value, path, key, "value", depth, lineage);
    } else if (typeof value === "number") {
      if (Number.isInteger(value) && Math.abs(value) >= NUMBER_SCAN_MIN) {
        this.visitString(String(value), path, key, "value", depth, lineage);
      }
    } else if (Array.isArray(value)) {
      this.walkArray(value, path, key, depth, lineage);
    } else if (value !== null && typeof value === "object") {
      this.walkObject(value as Record<string, unknown>, path, depth, lineage);
    }
  }

  private walkArray(items: unknown[], path: string, key: string | null, depth: number, lineage: Lineage): void {
    let records = 0;
    let personal = false;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item !== null && typeof item === "object" && !Array.isArray(item)) {
        records++;
        if (!personal && records <= RECORD_SAMPLE) {
          personal = Object.keys(item).some((name) => (keyTraits(name) & KEY_PII_FIELD) !== 0);
        }
      }
      this.walk(item, `${path}[${i}]`, key, depth + 1, lineage);
    }
    if (records >= BULK_RECORD_COUNT) this.scan.recordSets.push({ path, records, personal, source: "array" });
  }

  private walkObject(object: Record<string, unknown>, path: string, depth: number, lineage: Lineage): void {
    for (const name of Object.keys(object)) {
      if (PLAIN_KEY.test(name)) {
        this.walk(object[name], `${path}.${name}`, name, depth + 1, lineage);
        continue;
      }
      const secretsBefore = this.scan.secretsReported;
      this.visitString(name, `${path}{key}`, null, "key", depth + 1, lineage);
      // Paths end up in reasons and logs: a key that held a secret is not spelled out in them.
      const step = this.scan.secretsReported > secretsBefore ? REDACTED_KEY : quoteKey(name);
      this.walk(object[name], `${path}[${step}]`, name, depth + 1, lineage);
    }
  }

  private visitString(
    text: string,
    path: string,
    key: string | null,
    role: ScanTarget["role"],
    depth: number,
    lineage: Lineage,
  ): void {
    const profile = profileText(text);
    if (lineage.encoding === "plain" && (profile.flags & (HAS_CONTROL | HAS_LONE_SURROGATE)) !== 0) {
      this.scan.report(shapeFinding("binary", path, this.limits));
    }
    const target: ScanTarget = {
      path,
      key,
      role,
      text,
      encoding: lineage.encoding,
      origin: lineage.carrier ?? text,
      profile,
    };
    for (const detect of this.detectors) detect(target, this.scan);

    if (lineage.decodeDepth >= MAX_DECODE_DEPTH) return;
    // What a reader sees: "AKIA" with a zero-width joiner inside, or a host in look-alike letters.
    if ((profile.flags & HAS_NON_ASCII) !== 0) {
      const folded = foldText(text);
      if (folded !== text)
        this.visitString(folded, path, key, role, depth, decodedLineage(lineage, text, "normalised"));
    }
    const nested = readNestedJson(text, this.limits.maxDepth - depth, this.limits.maxNodes - this.nodesUsed);
    if (nested !== null) {
      if ("problem" in nested) this.scan.report(shapeFinding(nested.problem, path, this.limits));
      else {
        this.nodesUsed += nested.nodes;
        this.walk(nested.value, `${path}(json)`, key, depth, { ...lineage, decodeDepth: lineage.decodeDepth + 1 });
      }
    }
    const url = (profile.flags & HAS_PERCENT) !== 0 ? urlDecoded(text) : null;
    if (url !== null) this.visitString(url, path, key, role, depth, decodedLineage(lineage, text, "url"));
    const base64 = base64Decoded(text, profile);
    if (base64 !== null) this.visitString(base64, path, key, role, depth, decodedLineage(lineage, text, "base64"));
  }
}

function decodedLineage(parent: Lineage, text: string, encoding: Encoding): Lineage {
  return {
    decodeDepth: parent.decodeDepth + 1,
    carrier: parent.carrier ?? text,
    encoding: parent.encoding === "plain" ? encoding : parent.encoding,
  };
}

function quoteKey(name: string): string {
  return JSON.stringify(name.length > QUOTED_KEY_MAX ? `${name.slice(0, QUOTED_KEY_MAX)}…` : name);
}

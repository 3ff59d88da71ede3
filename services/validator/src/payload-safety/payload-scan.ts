import type { Severity } from "@mandate/contracts";
import type { PayloadAssessment, PayloadContext, PayloadFinding } from "./finding.js";

/** Rows of personal data from this many records on are bulk data rather than a message about a few people. */
export const BULK_RECORD_COUNT = 20;

/** Many rows of the same shape: an array of objects or a CSV-like text. */
export interface RecordSet {
  path: string;
  records: number;
  /** Whether the rows carry personal fields (e-mail, phone, name, address...). */
  personal: boolean;
  source: "array" | "csv";
}

export interface EncodedBlob {
  path: string;
  encoding: "base64" | "hex";
}

const SQL_TOOL = /sql|database|(?:^|[^a-z])db(?:[^a-z]|$)|postgres|bigquery|snowflake|redshift|clickhouse/i;
const SHELL_TOOL = /shell|bash|terminal|command|(?:^|[^a-z])cmd(?:[^a-z]|$)|powershell|ssh|subprocess|run_script/i;
const EMAIL_TOOL = /mail|smtp/i;

const SEVERITY_RANK: Record<Severity, number> = { info: 0, suspicious: 1, critical: 2 };
const SEVERITY_SCORE: Record<Severity, number> = { info: 0, suspicious: 0.5, critical: 1 };

/** Enough distinct personal values to tell bulk data apart from a message that names a few people. */
const PII_TALLY_LIMIT = 10_000;

/** One assessment's state: the context, what detectors found, and tallies that only mean something in bulk. */
export class PayloadScan {
  readonly leavesScope: boolean;
  readonly sqlTool: boolean;
  readonly shellTool: boolean;
  readonly emailTool: boolean;
  /** The destination as a bare lower-case host, to recognise arguments that point at it. */
  readonly destinationHost: string | null;
  readonly recordSets: RecordSet[] = [];
  readonly blobs: EncodedBlob[] = [];
  /** Paths of URLs whose query string hides base64-encoded text. */
  readonly encodedQueries: string[] = [];
  private readonly personalValues = new Set<string>();
  private readonly findings = new Map<string, PayloadFinding>();
  private registeredClasses: ReadonlySet<string> | null = null;
  private secrets = 0;

  constructor(readonly context: PayloadContext) {
    this.leavesScope = context.destination !== null && !context.destinationInScope;
    const tool = `${context.tool} ${context.operation}`;
    this.sqlTool = SQL_TOOL.test(tool);
    this.shellTool = SHELL_TOOL.test(tool);
    this.emailTool = EMAIL_TOOL.test(tool);
    this.destinationHost = context.destination === null ? null : hostOf(context.destination);
  }

  handles(dataClass: string): boolean {
    this.registeredClasses ??= new Set(this.context.dataClasses.map((c) => c.toLowerCase()));
    return this.registeredClasses.has(dataClass);
  }

  notePersonalValue(value: string): void {
    if (this.personalValues.size < PII_TALLY_LIMIT) this.personalValues.add(value);
  }

  get distinctPersonalValues(): number {
    return this.personalValues.size;
  }

  /** Keeps one finding per code, path and secret value, at the highest severity reported. */
  report(finding: PayloadFinding): void {
    const key = `${finding.code}\u0000${finding.path}\u0000${finding.secret?.value ?? ""}`;
    const existing = this.findings.get(key);
    if (existing === undefined || SEVERITY_RANK[finding.severity] > SEVERITY_RANK[existing.severity]) {
      this.findings.set(key, finding);
    }
    if (existing === undefined && finding.secret !== undefined) this.secrets++;
  }

  /** How many distinct secrets have been reported so far; lets the walker see whether a key held one. */
  get secretsReported(): number {
    return this.secrets;
  }

  assessment(): PayloadAssessment {
    const findings = [...this.findings.values()];
    let score = 0;
    for (const finding of findings) score = Math.max(score, SEVERITY_SCORE[finding.severity]);
    return { score, findings };
  }
}

/** The host a destination or URL names: lower-cased, without scheme, user-info, port or IPv6 brackets. */
export function hostOf(destination: string): string {
  let host = destination.trim().toLowerCase();
  const scheme = host.indexOf("://");
  if (scheme !== -1) host = host.slice(scheme + 3);
  host = host.split(/[/?#]/, 1)[0] ?? host;
  host = host.slice(host.lastIndexOf("@") + 1);
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    return end === -1 ? host.slice(1) : host.slice(1, end);
  }
  const colon = host.indexOf(":");
  return colon !== -1 && colon === host.lastIndexOf(":") ? host.slice(0, colon) : host;
}

import type { Severity } from "@mandate/contracts";

/** What the validator knows about an action besides its arguments; severities depend on it. */
export interface PayloadContext {
  /** Host the action sends to, if any. */
  destination: string | null;
  /** Whether that host matched the agent's registered destination patterns. */
  destinationInScope: boolean;
  /** Data classes the agent is registered to handle, e.g. "pii", "financial", "credentials", "health". */
  dataClasses: readonly string[];
  tool: string;
  operation: string;
  /**
   * What the action acts on and why the agent says it wants to: read by the same detectors as the
   * arguments (an override planted in the intent, a metadata URL as the resource). Optional so that
   * callers that have neither keep working.
   */
  resource?: string | null;
  intent?: string | null;
}

export interface PayloadFinding {
  /** "secrets", "pii", "sql", "shell", "path", "ssrf", "prompt_injection", "exfiltration" or "shape". */
  detector: string;
  /** Stable machine code, e.g. "payload.secret.aws_access_key". */
  code: string;
  /** One human sentence; never holds the secret or any argument text. */
  message: string;
  /**
   * "info" marks only a credential the agent is registered to carry and that stays in scope: it scores 0
   * but remains a finding, because redaction needs its value to keep it out of the trail.
   */
  severity: Severity;
  /**
   * JSON path of the argument, e.g. "$.headers.Authorization". A step into a string that holds JSON text
   * is written "(json)": "$.body(json).password". A finding in an object key (only keys that are not
   * plain identifiers are read) is written "$.headers{key}". Findings in the action's own fields are at
   * "resource", "destination" and "intent".
   */
  path: string;
  /** Only for credentials: the exact text to redact, as it appears in the decoded argument string. */
  secret?: { kind: string; value: string };
}

export interface PayloadAssessment {
  /** 0 none, 0.5 suspicious, 1 critical: the maximum over the findings. */
  score: number;
  findings: PayloadFinding[];
}

export interface PayloadLimits {
  /** UTF-8 bytes of the arguments text. */
  maxBytes: number;
  maxDepth: number;
  /** JSON values (containers, strings, numbers, literals); object keys are not counted. */
  maxNodes: number;
}

export const DEFAULT_PAYLOAD_LIMITS: PayloadLimits = {
  maxBytes: 256 * 1024,
  maxDepth: 32,
  maxNodes: 10_000,
};

import { type Detector, ArgumentWalker } from "./argument-walk.js";
import { detectDataLinks } from "./data-links.js";
import { collectExfiltrationShapes, judgeExfiltration } from "./exfiltration.js";
import { DEFAULT_PAYLOAD_LIMITS, type PayloadAssessment, type PayloadContext, type PayloadLimits } from "./finding.js";
import { detectPathTraversal } from "./path-traversal.js";
import { PayloadScan } from "./payload-scan.js";
import { detectPii } from "./pii.js";
import { detectPromptInjection } from "./prompt-injection.js";
import { detectSecrets } from "./secrets.js";
import { checkShape, shapeFinding } from "./shape.js";
import { detectShell } from "./shell.js";
import { detectSql } from "./sql.js";
import { detectSsrf } from "./ssrf.js";

export type { PayloadAssessment, PayloadContext, PayloadFinding, PayloadLimits } from "./finding.js";
export { DEFAULT_PAYLOAD_LIMITS } from "./finding.js";
export { redactSecrets, redactSecretsInText } from "./redaction.js";
export { toReasons } from "./reasons.js";
export { normaliseText } from "./normalise-text.js";
export { readAmount, type ReadAmount } from "./amounts.js";
export { findInjectedInstructions, type InjectedInstructions } from "./injected-instructions.js";

const DETECTORS: readonly Detector[] = [
  detectSecrets,
  detectPii,
  detectSql,
  detectShell,
  detectPathTraversal,
  detectSsrf,
  detectPromptInjection,
  collectExfiltrationShapes,
  detectDataLinks,
];

/** Longer action fields are read only this far: they are a host, a path or a sentence of intent. */
const MAX_ACTION_FIELD_LENGTH = 4096;

function scanActionFields(scan: PayloadScan, ctx: PayloadContext, limits: PayloadLimits): void {
  const walker = new ArgumentWalker(scan, DETECTORS, limits, 0);
  const fields = [
    ["destination", ctx.destination, "host"],
    ["resource", ctx.resource, "resource"],
    ["intent", ctx.intent, null],
  ] as const;
  for (const [field, value, key] of fields) {
    if (typeof value !== "string" || value === "") continue;
    walker.scanActionField(value.slice(0, MAX_ACTION_FIELD_LENGTH), field, key);
  }
}

/**
 * The payload axis: what the arguments of a proposed action hold, judged without the network. Cost is
 * bounded by the size limit: nothing larger is read, nothing deeper or bigger is parsed, and every
 * pattern repeats only a bounded number of times, so its cost grows linearly with the text it reads.
 */
export function assessPayload(
  argumentsJson: string,
  ctx: PayloadContext,
  limits: PayloadLimits = DEFAULT_PAYLOAD_LIMITS,
): PayloadAssessment {
  return readAndAssessPayload(argumentsJson, ctx, limits).assessment;
}

/**
 * `assessPayload`, also handing back the parsed arguments (null when they were outside the limits),
 * so the axes after it read them instead of parsing `arguments_json` again — and never parse what
 * this axis refused to.
 */
export function readAndAssessPayload(
  argumentsJson: string,
  ctx: PayloadContext,
  limits: PayloadLimits = DEFAULT_PAYLOAD_LIMITS,
): { assessment: PayloadAssessment; arguments: unknown } {
  const scan = new PayloadScan(ctx);
  const shape = checkShape(argumentsJson, limits);
  if (shape.ok) {
    new ArgumentWalker(scan, DETECTORS, limits, shape.nodes).walkRoot(shape.value);
  } else {
    scan.report(shapeFinding(shape.problem, "$", limits));
    // Within the size limit the text is still read whole, so what it leaks can be redacted from the trail.
    if (shape.problem !== "too_large") new ArgumentWalker(scan, DETECTORS, limits, 0).scanRawText(argumentsJson);
  }
  scanActionFields(scan, ctx, limits);
  judgeExfiltration(scan);
  return { assessment: scan.assessment(), arguments: shape.ok ? shape.value : null };
}

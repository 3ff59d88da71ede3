import { type DecisionRecord, MandateError } from "@mandate/contracts";

/** No verdict arrived in time. The action must not run: Mandate fails closed. */
export class VerdictTimeoutError extends MandateError {
  readonly retriable = true;
  constructor(
    readonly actionId: string,
    readonly timeoutMs: number,
  ) {
    super(`no verdict for action ${actionId} within ${timeoutMs} ms; the action must not run`);
  }
}

/**
 * A flagged action was not reviewed within the `reviewTimeoutMs` the caller chose. It does not run
 * unless a reviewer approves it later; `decision` is the flag.
 */
export class ReviewTimeoutError extends MandateError {
  readonly retriable = false;
  constructor(
    readonly decision: DecisionRecord,
    readonly timeoutMs: number,
  ) {
    super(`action ${decision.action.action_id} was flagged and not reviewed within ${timeoutMs} ms`);
  }
}

/**
 * The action was approved but no executor's result arrived in time. It may or may not have run: an
 * executor runs each approved action at most once, so proposing it again is a new action.
 */
export class ResultTimeoutError extends MandateError {
  readonly retriable = false;
  constructor(
    readonly decision: DecisionRecord,
    readonly timeoutMs: number,
  ) {
    super(`action ${decision.action.action_id} was approved and no executor's result arrived within ${timeoutMs} ms`);
  }
}

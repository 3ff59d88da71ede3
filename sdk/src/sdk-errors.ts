import { MandateError } from "../../services/common/src/errors.js";

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

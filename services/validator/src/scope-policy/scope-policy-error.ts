import { MandateError } from "../../../common/src/errors.js";

/** Cedar refused something the store had already accepted: a defect, not bad input. */
export class ScopePolicyError extends MandateError {
  readonly retriable = false;
}

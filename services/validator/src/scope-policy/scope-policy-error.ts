import { MandateError } from "@mandate/contracts";

/** Cedar refused something the store had already accepted: a defect, not bad input. */
export class ScopePolicyError extends MandateError {
  readonly retriable = false;
}

export {
  DEFAULT_IDENTITY_OPTIONS,
  IdentityCheck,
  type IdentityOptions,
  type IdentityResult,
} from "./identity-check.js";
export {
  ReplayCache,
  type ReplayCacheOptions,
  type ReplayEntry,
  type ReplayVerdict,
  type ReplayWindowSnapshot,
} from "./replay-cache.js";

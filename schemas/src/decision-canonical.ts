import { actionHash, CanonicalWriter } from "./action-canonical.js";
import type { Capability, DecisionRecord } from "./decision.js";

/**
 * What a validator signs, in the value format of action-canonical.ts (tags, big-endian lengths).
 *
 * ## Decision record — domain tag `mandate.decision.v1`
 *
 * 1. `decision_id` string
 * 2. the action's hash (string: hex SHA-256 of its canonical encoding), then the action's
 *    `signature` string|null — together they bind every field of the action as it was received
 * 3. `verdict` string
 * 4. `scores`: doubles `identity`, `scope`, `payload`, `alignment`, `drift`
 * 5. `reasons`: list of (`axis`, `code`, `message`, `severity`) strings
 * 6. `policy_version` string, `registration_version` long|null, `validator_id` string,
 *    `decided_at` long, `expires_at` long, `supersedes` string|null, `reviewer` string|null,
 *    `review_comment` string|null, `redacted_arguments_json` string|null
 * 7. `capability`: null, or record (`action_hash` string, `agent_id` string, `expires_at` long,
 *    `signature` string)
 *
 * The record's own `signature` is not part of it. Signature: Ed25519 by the key the validator
 * publishes under its `validator_id` (see validator-key.ts), standard padded base64.
 *
 * ## Decision record whose capability names its audience — domain tag `mandate.decision.v2`
 *
 * The same, except that the capability record ends with its `audience` string.
 *
 * ## Capability — domain tag `mandate.capability.v1`
 *
 * `action_hash` string, `agent_id` string, `expires_at` long; signed the same way. The domain tags
 * keep a capability signature from ever being taken for a decision signature, or the reverse.
 *
 * ## Capability naming its audience — domain tag `mandate.capability.v2`
 *
 * The v1 fields, then `audience` string: the executor group that may run the action. A capability
 * without an audience keeps its v1 bytes (and so does the record carrying it); with the tags apart,
 * removing the audience from a signed capability or record breaks its signature.
 */
export const DECISION_DOMAIN = "mandate.decision.v1";
export const DECISION_DOMAIN_WITH_AUDIENCE = "mandate.decision.v2";
export const CAPABILITY_DOMAIN = "mandate.capability.v1";
export const CAPABILITY_DOMAIN_WITH_AUDIENCE = "mandate.capability.v2";

export function canonicalDecisionBytes(record: Omit<DecisionRecord, "signature">): Buffer {
  const { scores } = record;
  const audience = record.capability?.audience ?? null;
  return new CanonicalWriter(audience === null ? DECISION_DOMAIN : DECISION_DOMAIN_WITH_AUDIENCE)
    .string(record.decision_id)
    .string(actionHash(record.action))
    .nullableString(record.action.signature)
    .string(record.verdict)
    .double(scores.identity)
    .double(scores.scope)
    .double(scores.payload)
    .double(scores.alignment)
    .double(scores.drift)
    .list(record.reasons, (w, r) => w.string(r.axis).string(r.code).string(r.message).string(r.severity))
    .string(record.policy_version)
    .nullableLong(record.registration_version)
    .string(record.validator_id)
    .long(record.decided_at)
    .long(record.expires_at)
    .nullableString(record.supersedes)
    .nullableString(record.reviewer)
    .nullableString(record.review_comment)
    .nullableString(record.redacted_arguments_json)
    .nullableRecord(record.capability, (w, c) => {
      w.string(c.action_hash).string(c.agent_id).long(c.expires_at).string(c.signature);
      if (audience !== null) w.string(audience);
    })
    .bytes();
}

export function canonicalCapabilityBytes(capability: Omit<Capability, "signature">): Buffer {
  const audience = capability.audience ?? null;
  const writer = new CanonicalWriter(audience === null ? CAPABILITY_DOMAIN : CAPABILITY_DOMAIN_WITH_AUDIENCE)
    .string(capability.action_hash)
    .string(capability.agent_id)
    .long(capability.expires_at);
  return (audience === null ? writer : writer.string(audience)).bytes();
}

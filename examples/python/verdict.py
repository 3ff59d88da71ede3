"""Whether a decision record is genuine: a transcription of schemas/src/verdict-verifier.ts.

Every check must pass. For an approved record the capability is checked too: present, bound to this
very action and agent, signed by the same validator, unexpired.
"""

import base64
import binascii

from cryptography.exceptions import InvalidSignature

from canonical import action_hash, canonical_capability_bytes, canonical_decision_bytes


class VerdictRefused(Exception):
    def __init__(self, code, reason):
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


def verify_ed25519(data, signature, public_key):
    """True only for a well-formed signature that verifies. The base64 must be canonical (it is
    re-encoded and compared), so that one signature cannot travel under many spellings."""
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    if len(raw) != 64 or base64.b64encode(raw).decode("ascii") != signature:
        return False
    try:
        public_key.verify(raw, data)
        return True
    except InvalidSignature:
        return False


def verify_verdict(decision, validator_key, now_ms, audience=None):
    """Raises VerdictRefused unless the record is signed by `validator_key` (the public key published
    for its validator_id, None if there is none), bound to the action it carries and in force at
    `now_ms`. `audience`: the executor group an approval must name (None: not checked)."""
    action = decision["action"]
    capability = decision["capability"]
    if decision["signature"] is None:
        raise VerdictRefused("verdict.unsigned", "the decision record is not signed")
    if validator_key is None:
        raise VerdictRefused("verdict.unknown_validator", f"no published key for validator {decision['validator_id']}")
    if decision["verdict"] == "approved":
        if capability is None:
            raise VerdictRefused("verdict.capability_missing", "an approved decision without a capability")
        if capability["action_hash"] != action_hash(action):
            raise VerdictRefused("verdict.action_hash_mismatch", "the capability was granted for another action")
        if capability["agent_id"] != action["agent_id"]:
            raise VerdictRefused("verdict.agent_mismatch", f"the capability was granted to {capability['agent_id']}")
        if audience is not None and capability.get("audience") != audience:
            raise VerdictRefused("verdict.wrong_audience", f"the capability is not for executor group {audience}")
    if not verify_ed25519(canonical_decision_bytes(decision), decision["signature"], validator_key):
        raise VerdictRefused(
            "verdict.bad_signature", f"the signature does not verify with validator {decision['validator_id']}'s key"
        )
    if capability is not None and not verify_ed25519(
        canonical_capability_bytes(capability), capability["signature"], validator_key
    ):
        raise VerdictRefused("verdict.capability_bad_signature", "the capability signature does not verify")
    if decision["expires_at"] <= now_ms:
        raise VerdictRefused("verdict.expired", f"the decision expired {now_ms - decision['expires_at']} ms ago")
    if capability is not None and capability["expires_at"] <= now_ms:
        raise VerdictRefused("verdict.capability_expired", "the capability has expired")

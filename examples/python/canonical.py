"""Mandate's canonical encodings: the exact bytes agents and validators sign.

A transcription of schemas/src/action-canonical.ts and decision-canonical.ts, which document
the format. Every value starts with a one-byte tag; integers are big-endian:

    null    0x00
    string  0x01, uint32 byte length, the UTF-8 bytes
    long    0x02, int64
    double  0x03, IEEE-754 binary64 (every NaN as 0x7ff8000000000000)
    list    0x04, uint32 item count, then each item
    record  0x05, then its fields (a nullable record)

An encoding is the domain tag (a string value), then the fields in a fixed order. Records here are
plain dicts with the Avro field names, as the Avro deserializer returns them; timestamps are epoch
milliseconds (ints).
"""

import hashlib
import math
import struct

ACTION_DOMAIN = "mandate.action.v1"
ACTION_DOMAIN_WITH_GROUP = "mandate.action.v2"
DECISION_DOMAIN = "mandate.decision.v1"
DECISION_DOMAIN_WITH_AUDIENCE = "mandate.decision.v2"
CAPABILITY_DOMAIN = "mandate.capability.v1"
CAPABILITY_DOMAIN_WITH_AUDIENCE = "mandate.capability.v2"


class CanonicalWriter:
    def __init__(self, domain):
        self._chunks = []
        self.string(domain)

    def null(self):
        self._chunks.append(b"\x00")
        return self

    def string(self, value):
        data = value.encode("utf-8")
        self._chunks.append(struct.pack(">BI", 0x01, len(data)) + data)
        return self

    def nullable_string(self, value):
        return self.null() if value is None else self.string(value)

    def long(self, value):
        # bool is an int in Python; a flag is never a timestamp, so refuse it like a float.
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"a long must be an int, got {value!r}")
        self._chunks.append(struct.pack(">Bq", 0x02, value))
        return self

    def nullable_long(self, value):
        return self.null() if value is None else self.long(value)

    def double(self, value):
        bits = b"\x7f\xf8\x00\x00\x00\x00\x00\x00" if math.isnan(value) else struct.pack(">d", value)
        self._chunks.append(b"\x03" + bits)
        return self

    def list(self, items, write_item):
        self._chunks.append(struct.pack(">BI", 0x04, len(items)))
        for item in items:
            write_item(self, item)
        return self

    def nullable_record(self, value, write_fields):
        if value is None:
            return self.null()
        self._chunks.append(b"\x05")
        write_fields(self, value)
        return self

    def bytes(self):
        return b"".join(self._chunks)


def canonical_action_bytes(action):
    """What an action's signature covers: every field but `signature`."""
    group = action.get("executor_group")
    writer = (
        CanonicalWriter(ACTION_DOMAIN if group is None else ACTION_DOMAIN_WITH_GROUP)
        .string(action["action_id"])
        .string(action["agent_id"])
        .string(action["session_id"])
        .nullable_string(action["session_task"])
        .string(action["tool"])
        .string(action["operation"])
        .nullable_string(action["resource"])
        .nullable_string(action["destination"])
        .string(action["arguments_json"])
        .nullable_string(action["intent"])
        .long(action["proposed_at"])
        .string(action["nonce"])
        .nullable_string(action["key_id"])
    )
    if group is not None:
        writer.string(group)
    return writer.bytes()


def action_hash(action):
    """Lowercase hex SHA-256 of the action's encoding: what a capability is bound to."""
    return hashlib.sha256(canonical_action_bytes(action)).hexdigest()


def canonical_decision_bytes(decision):
    """What a validator's signature on a decision record covers: every field but `signature`."""
    scores = decision["scores"]
    capability = decision["capability"]
    audience = capability.get("audience") if capability is not None else None

    def write_reason(writer, reason):
        writer.string(reason["axis"]).string(reason["code"]).string(reason["message"]).string(reason["severity"])

    def write_capability(writer, cap):
        writer.string(cap["action_hash"]).string(cap["agent_id"]).long(cap["expires_at"]).string(cap["signature"])
        if audience is not None:
            writer.string(audience)

    return (
        CanonicalWriter(DECISION_DOMAIN if audience is None else DECISION_DOMAIN_WITH_AUDIENCE)
        .string(decision["decision_id"])
        .string(action_hash(decision["action"]))
        .nullable_string(decision["action"]["signature"])
        .string(decision["verdict"])
        .double(scores["identity"])
        .double(scores["scope"])
        .double(scores["payload"])
        .double(scores["alignment"])
        .double(scores["drift"])
        .list(decision["reasons"], write_reason)
        .string(decision["policy_version"])
        .nullable_long(decision["registration_version"])
        .string(decision["validator_id"])
        .long(decision["decided_at"])
        .long(decision["expires_at"])
        .nullable_string(decision["supersedes"])
        .nullable_string(decision["reviewer"])
        .nullable_string(decision["review_comment"])
        .nullable_string(decision["redacted_arguments_json"])
        .nullable_record(capability, write_capability)
        .bytes()
    )


def canonical_capability_bytes(capability):
    """What a capability's own signature covers."""
    audience = capability.get("audience")
    writer = (
        CanonicalWriter(CAPABILITY_DOMAIN if audience is None else CAPABILITY_DOMAIN_WITH_AUDIENCE)
        .string(capability["action_hash"])
        .string(capability["agent_id"])
        .long(capability["expires_at"])
    )
    if audience is not None:
        writer.string(audience)
    return writer.bytes()

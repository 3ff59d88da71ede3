"""Checks this example's encodings against the published test vectors.

test/fixtures/canonical-vectors.json is written from the TypeScript implementation; every encoding,
hash and signature computed here must match it byte for byte (Ed25519 signatures are deterministic).
Exits non-zero on the first difference.

    python check_vectors.py [path/to/canonical-vectors.json]
"""

import base64
import hashlib
import json
import sys
from pathlib import Path

from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from canonical import canonical_action_bytes, canonical_capability_bytes, canonical_decision_bytes
from verdict import VerdictRefused, verify_verdict

DEFAULT_VECTORS = Path(__file__).resolve().parents[2] / "test" / "fixtures" / "canonical-vectors.json"


def expect_equal(what, got, want):
    if got != want:
        sys.exit(f"MISMATCH {what}\n  got:  {got}\n  want: {want}")


def main():
    vectors = json.loads(Path(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_VECTORS).read_text("utf-8"))
    agent_key = load_pem_private_key(vectors["keys"]["agent"]["private_key"].encode(), password=None)
    validator_key = load_pem_public_key(vectors["keys"]["validator"]["public_key"].encode())
    checked = 0

    for vector in vectors["actions"]:
        encoded = canonical_action_bytes(vector["action"])
        expect_equal(f"action {vector['name']}: encoding", encoded.hex(), vector["canonical_hex"])
        expect_equal(f"action {vector['name']}: sha256", hashlib.sha256(encoded).hexdigest(), vector["sha256"])
        signature = base64.b64encode(agent_key.sign(encoded)).decode("ascii")
        expect_equal(f"action {vector['name']}: signature", signature, vector["signature"])
        checked += 1

    for vector in vectors["capabilities"]:
        encoded = canonical_capability_bytes(vector["capability"])
        expect_equal(f"capability {vector['name']}", encoded.hex(), vector["canonical_hex"])
        checked += 1

    for vector in vectors["decisions"]:
        encoded = canonical_decision_bytes(vector["decision"])
        expect_equal(f"decision {vector['name']}: encoding", encoded.hex(), vector["canonical_hex"])
        expect_equal(f"decision {vector['name']}: sha256", hashlib.sha256(encoded).hexdigest(), vector["sha256"])
        checked += 1

    for vector in vectors["signed_decisions"]:
        decision, now = vector["decision"], vector["now"]
        verify_verdict(decision, validator_key, now, audience=decision["capability"]["audience"])
        # The same record with its verdict changed must no longer verify.
        try:
            verify_verdict({**decision, "verdict": "rejected"}, validator_key, now)
            sys.exit(f"MISMATCH signed decision {vector['name']}: a tampered copy verified")
        except VerdictRefused as refused:
            expect_equal(f"signed decision {vector['name']}: tampered copy", refused.code, "verdict.bad_signature")
        checked += 1

    print(f"canonical vectors: {checked} checked, all match")


if __name__ == "__main__":
    main()

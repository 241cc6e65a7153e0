"""The verification-level table as the Notation trust-store-trust-policy spec states it."""

from __future__ import annotations

import pytest

from provenance_guard.signatures.levels import LEVELS, enforced, validation_of

SPEC_TABLE = {
    "strict": ("enforce", "enforce", "enforce", "enforce", "enforce"),
    "permissive": ("enforce", "enforce", "log", "log", "log"),
    "audit": ("enforce", "log", "log", "log", "log"),
}


def test_the_table_is_the_specs():
    order = ("integrity", "authenticity", "authentic_timestamp", "expiry", "revocation")
    assert {level: tuple(actions[v] for v in order) for level, actions in LEVELS.items()} == SPEC_TABLE


@pytest.mark.parametrize(
    ("code", "validation"),
    [
        ("BAD_SIGNATURE", "integrity"),
        ("WRONG_SUBJECT", "integrity"),
        ("MALFORMED_ENVELOPE", "integrity"),
        ("UNTRUSTED_ROOT", "authenticity"),
        ("BAD_SIGNING_CERTIFICATE", "authenticity"),
        ("UNTRUSTED_IDENTITY", "authenticity"),
        ("CERTIFICATE_EXPIRED", "authentic_timestamp"),
        ("TIMESTAMP_OUTSIDE_VALIDITY", "authentic_timestamp"),
        ("SIGNATURE_EXPIRED", "expiry"),
        ("REVOKED", "revocation"),
        ("REVOCATION_UNKNOWN", "revocation"),
    ],
)
def test_reason_codes_map_to_validations(code, validation):
    assert validation_of(code) == validation


def test_a_cosign_signature_no_configured_key_verifies_is_an_authenticity_failure():
    assert validation_of("BAD_SIGNATURE", "cosign") == "authenticity"
    assert validation_of("WRONG_SUBJECT", "cosign") == "integrity"
    assert not enforced("audit", "BAD_SIGNATURE", "cosign")
    assert enforced("audit", "BAD_SIGNATURE")
    assert enforced("unknown-level", "REVOKED")

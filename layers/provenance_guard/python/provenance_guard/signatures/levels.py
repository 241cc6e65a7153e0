"""Notation's signature verification levels as data (trust-store-trust-policy specification, "Signature
Verification details"): which validation each level enforces and which it only logs, and which
validation each failure reason belongs to. No third-party import: the control reads it cheaply.

| level      | integrity | authenticity | authentic timestamp | expiry | revocation |
|------------|-----------|--------------|---------------------|--------|------------|
| strict     | enforce   | enforce      | enforce             | enforce| enforce    |
| permissive | enforce   | enforce      | log                 | log    | log        |
| audit      | enforce   | log          | log                 | log    | log        |

Under `audit` integrity is enforced only if a signature is present: an image with no signature passes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

Validation = Literal["integrity", "authenticity", "authentic_timestamp", "expiry", "revocation"]
Action = Literal["enforce", "log"]
VALIDATIONS: tuple[Validation, ...] = ("integrity", "authenticity", "authentic_timestamp", "expiry", "revocation")

LEVELS: Mapping[str, Mapping[Validation, Action]] = {
    "strict": dict.fromkeys(VALIDATIONS, "enforce"),
    "permissive": {
        "integrity": "enforce",
        "authenticity": "enforce",
        "authentic_timestamp": "log",
        "expiry": "log",
        "revocation": "log",
    },
    "audit": {"integrity": "enforce", **dict.fromkeys(VALIDATIONS[1:], "log")},
}

INTEGRITY_CODES = frozenset(
    {
        "MALFORMED_ENVELOPE",
        "MALFORMED_PAYLOAD",
        "MALFORMED_SIGNATURE",
        "MALFORMED_BUNDLE",
        "UNSUPPORTED_ENVELOPE",
        "UNSUPPORTED_BUNDLE",
        "UNKNOWN_CRITICAL_HEADER",
        "UNKNOWN_SCHEME",
        "UNSUPPORTED_KEY",
        "ALGORITHM_MISMATCH",
        "BAD_SIGNATURE",
        "WRONG_SUBJECT",
        "WRONG_PAYLOAD_TYPE",
        "UNREADABLE_SIGNATURE",
    }
)
"""The envelope cannot be parsed, its own signature does not verify, or it names another artifact."""
TIMESTAMP_CODES = frozenset({"CERTIFICATE_EXPIRED"}) | frozenset(
    {"BAD_TIMESTAMP", "UNTRUSTED_TIMESTAMP", "TIMESTAMP_OUTSIDE_VALIDITY", "BAD_TIMESTAMP_CERTIFICATE"}
)
EXPIRY_CODES = frozenset({"SIGNATURE_EXPIRED"})
REVOCATION_CODES = frozenset({"REVOKED", "REVOCATION_UNKNOWN"})
COSIGN_AUTHENTICITY = frozenset({"BAD_SIGNATURE"})
"""A cosign key signature carries no key of its own: one that verifies with no configured key may be
intact and signed by someone else, so it is an authenticity failure, not an integrity one."""


def validation_of(code: str, scheme: str = "notation") -> Validation:
    """The validation a failure reason belongs to; anything not listed is authenticity (chain, root,
    identity, trust store, certificate profile)."""
    if scheme == "cosign" and code in COSIGN_AUTHENTICITY:
        return "authenticity"
    if code in INTEGRITY_CODES:
        return "integrity"
    if code in TIMESTAMP_CODES:
        return "authentic_timestamp"
    if code in EXPIRY_CODES:
        return "expiry"
    if code in REVOCATION_CODES:
        return "revocation"
    return "authenticity"


def enforced(level: str, code: str, scheme: str = "notation") -> bool:
    """Whether a failure with this reason fails verification at this level (True for unknown levels)."""
    actions = LEVELS.get(level)
    return actions is None or actions[validation_of(code, scheme)] == "enforce"

"""Notation JWS envelopes (`application/jose+json`, flattened JSON serialization): integrity only.

Hand-written rather than a JOSE library because Notation's rules must be enforced explicitly anyway:
the algorithm comes from the leaf certificate's key (never from the header), and every critical
header must be one this verifier understands (`envelope.py` holds the rules both formats share).
Imports `cryptography`: load this module lazily.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from provenance_guard.oci.media_types import JWS_ENVELOPE
from provenance_guard.signatures.envelope import (
    TIMES,
    TIMESTAMP_SIGNATURE,
    Envelope,
    SignatureError,
    algorithm_of,
    check_attributes,
    check_signature,
    load_chain,
    target_of,
)

MEDIA_TYPE = JWS_ENVELOPE
HEADER_PARAMETERS = frozenset({"alg", "crit", "cty"})
"""JOSE's own protected header parameters; every other protected header is a signed Notary attribute."""


def verify_jws(raw: bytes) -> Envelope:
    """Parse and verify a Notation JWS envelope's signature (not its chain, identity or target)."""
    try:
        document = json.loads(raw)
        encoded_protected, encoded_payload = str(document["protected"]), str(document["payload"])
        protected = json.loads(_b64(encoded_protected))
        payload = _b64(encoded_payload)
        signature = _b64(str(document["signature"]))
        x5c = document["header"]["x5c"]
        token = document["header"].get(TIMESTAMP_SIGNATURE)
        timestamp_token = None if token is None else base64.b64decode(str(token), validate=True)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise SignatureError("MALFORMED_ENVELOPE", f"not a Notation JWS envelope ({type(error).__name__})") from None
    if not isinstance(protected, dict) or not isinstance(x5c, list):
        raise SignatureError("MALFORMED_ENVELOPE", "the protected header or x5c has the wrong type")
    attributes = {k: _time(k, v) if k in TIMES else v for k, v in protected.items() if k not in HEADER_PARAMETERS}
    check_attributes(protected.get("cty"), protected.get("crit"), attributes)
    chain = load_chain(x5c, "x5c", lambda c: base64.b64decode(str(c), validate=True))
    algorithm = algorithm_of(chain[0])
    if protected.get("alg") != algorithm.name:
        why = f"header alg {protected.get('alg')!r:.40} does not match the signing key ({algorithm.name})"
        raise SignatureError("ALGORITHM_MISMATCH", why)
    check_signature(algorithm, signature, f"{encoded_protected}.{encoded_payload}".encode("ascii"))
    return Envelope(MEDIA_TYPE, attributes, target_of(payload), chain, algorithm.name, signature, timestamp_token)


def _time(name: str, value: Any) -> Any:
    """An RFC 3339 time as an aware datetime (notation-go writes offsets such as +08:00, not only Z)."""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise SignatureError("MALFORMED_ENVELOPE", f"{name} {value!r:.100} is not an RFC 3339 time") from None


def _b64(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))

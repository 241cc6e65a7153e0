"""Notation COSE envelopes (`application/cose`, COSE_Sign1_Tagged per RFC 9052 and the Notary
Project's `signature-envelope-cose.md`): integrity only.

Hand-written with `cbor2` (no COSE library: pycose breaks with cbor2 6, and Notation's rules must
be enforced explicitly anyway): tag 18 only; the protected header carries `alg` (label 1, which
must be the algorithm the leaf key implies), `crit` (2), `cty` (3) and the string-keyed Notary
attributes with times as CBOR tag-1 epoch values; the unprotected header carries the chain
(`x5chain`, label 33, leaf first); the signature is over the CBOR `Sig_structure`
["Signature1", protected, h'', payload]. Imports `cbor2` and `cryptography`: load this module lazily.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cbor2

from provenance_guard.oci.media_types import COSE_ENVELOPE
from provenance_guard.signatures.envelope import (
    TIMESTAMP_SIGNATURE,
    Envelope,
    SignatureError,
    algorithm_of,
    check_attributes,
    check_signature,
    load_chain,
    target_of,
)

MEDIA_TYPE = COSE_ENVELOPE
COSE_SIGN1_TAG = 18
ALG, CRIT, CTY, X5CHAIN = 1, 2, 3, 33
_DECODE_ERRORS = (cbor2.CBORError, ValueError, TypeError, LookupError, ArithmeticError, RecursionError, OSError)
"""What `cbor2.loads` may raise on hostile input (its C decoder's CBORDecodeError is no ValueError)."""


def verify_cose(raw: bytes) -> Envelope:
    """Parse and verify a Notation COSE_Sign1 envelope's signature (not its chain, identity or target)."""
    message = _decode(raw, "the envelope")
    if not isinstance(message, cbor2.CBORTag) or message.tag != COSE_SIGN1_TAG:
        found = f"tag {message.tag}" if isinstance(message, cbor2.CBORTag) else "an untagged value"
        raise SignatureError("MALFORMED_ENVELOPE", f"not a COSE_Sign1_Tagged envelope (tag 18): {found}")
    parts = message.value
    if not isinstance(parts, list | tuple) or len(parts) != 4:
        raise SignatureError("MALFORMED_ENVELOPE", "COSE_Sign1 is not an array of 4 items")
    protected_bytes, unprotected, payload, signature = parts
    if not all(isinstance(p, bytes) for p in (protected_bytes, payload, signature)):
        raise SignatureError("MALFORMED_ENVELOPE", "the protected header, payload or signature is not a byte string")
    protected = _decode(protected_bytes, "the protected header")
    if not isinstance(protected, Mapping) or not isinstance(unprotected, Mapping):
        raise SignatureError("MALFORMED_ENVELOPE", "a COSE header is not a map")
    attributes = {k: v for k, v in protected.items() if isinstance(k, str)}
    check_attributes(protected.get(CTY), protected.get(CRIT), attributes)
    chain = load_chain(_x5chain(unprotected), "x5chain", _bytes)
    algorithm = algorithm_of(chain[0])
    alg = protected.get(ALG)
    if type(alg) is not int or alg != algorithm.cose:  # not a float or bool that compares equal
        why = f"header alg {alg!r:.40} does not match the signing key ({algorithm.name}, {algorithm.cose})"
        raise SignatureError("ALGORITHM_MISMATCH", why)
    to_be_signed = cbor2.dumps(["Signature1", protected_bytes, b"", payload])
    check_signature(algorithm, signature, to_be_signed)
    token = unprotected.get(TIMESTAMP_SIGNATURE)
    if token is not None and not isinstance(token, bytes):
        raise SignatureError("MALFORMED_ENVELOPE", f"{TIMESTAMP_SIGNATURE} is not a byte string")
    return Envelope(MEDIA_TYPE, attributes, target_of(payload), chain, algorithm.name, signature, token)


def _decode(data: bytes, what: str) -> Any:
    try:
        return cbor2.loads(data)
    except _DECODE_ERRORS as error:
        raise SignatureError("MALFORMED_ENVELOPE", f"{what} is not valid CBOR ({type(error).__name__})") from None


def _x5chain(unprotected: Mapping[Any, Any]) -> list[Any]:
    """Label 33: one certificate as a byte string, or an array of them (leaf first)."""
    if X5CHAIN not in unprotected:
        raise SignatureError("MALFORMED_ENVELOPE", "the unprotected header has no x5chain (label 33)")
    value = unprotected[X5CHAIN]
    if isinstance(value, bytes):
        return [value]
    if not isinstance(value, list | tuple):
        raise SignatureError("MALFORMED_ENVELOPE", "x5chain is neither a certificate nor an array of them")
    return list(value)


def _bytes(value: Any) -> bytes:
    if not isinstance(value, bytes):
        raise TypeError("not a byte string")
    return value

"""Notation JWS envelopes (`application/jose+json`, flattened JSON serialization): integrity only.

Hand-written rather than a JOSE library because Notation's rules must be enforced explicitly anyway:
the algorithm comes from the leaf certificate's key (never from the header), and every critical
header must be one this verifier understands. Imports `cryptography`: load this module lazily.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

PAYLOAD_TYPE = "application/vnd.cncf.notary.payload.v1+json"
SCHEME = "io.cncf.notary.signingScheme"
SIGNING_TIME = "io.cncf.notary.signingTime"
AUTHENTIC_SIGNING_TIME = "io.cncf.notary.authenticSigningTime"
EXPIRY = "io.cncf.notary.expiry"
SIGNER_PROFILE_VERSION = "com.amazonaws.signer.signingProfileVersion"
SIGNER_JOB = "com.amazonaws.signer.signingJob"
SCHEMES = frozenset({"notary.x509", "notary.x509.signingAuthority"})
UNDERSTOOD_CRITICAL = frozenset(
    {
        SCHEME,
        AUTHENTIC_SIGNING_TIME,
        EXPIRY,
        "io.cncf.notary.verificationPlugin",
        "io.cncf.notary.verificationPluginMinVersion",
        SIGNER_PROFILE_VERSION,
        SIGNER_JOB,
    }
)
"""Critical headers this verifier acts on (the AWS Signer attributes are its signing-profile identity)."""
MAX_CHAIN = 8


class SignatureError(ValueError):
    """A signature does not verify; `code` goes into the finding's reasons."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


@dataclass(frozen=True)
class Envelope:
    """An envelope whose signature verified with its leaf certificate's key."""

    protected: Mapping[str, Any]
    target: Mapping[str, Any]
    chain: tuple[x509.Certificate, ...]
    algorithm: str

    @property
    def scheme(self) -> str:
        return str(self.protected[SCHEME])

    @property
    def signing_time(self) -> datetime:
        """The time the chain is validated at: authentic for a signing authority, claimed otherwise."""
        name = AUTHENTIC_SIGNING_TIME if self.scheme == "notary.x509.signingAuthority" else SIGNING_TIME
        return _time(self.protected, name)

    @property
    def expiry(self) -> datetime | None:
        return _time(self.protected, EXPIRY) if EXPIRY in self.protected else None


def verify_jws(raw: bytes) -> Envelope:
    """Parse and verify a Notation JWS envelope's signature (not its chain, identity or target)."""
    try:
        document = json.loads(raw)
        encoded_protected, encoded_payload = str(document["protected"]), str(document["payload"])
        protected = json.loads(_b64(encoded_protected))
        payload = json.loads(_b64(encoded_payload))
        signature = _b64(str(document["signature"]))
        x5c = document["header"]["x5c"]
    except (ValueError, KeyError, TypeError) as error:
        raise SignatureError("MALFORMED_ENVELOPE", f"not a Notation JWS envelope ({type(error).__name__})") from None
    if not isinstance(protected, dict) or not isinstance(payload, dict) or not isinstance(x5c, list):
        raise SignatureError("MALFORMED_ENVELOPE", "the protected header, payload or x5c has the wrong type")
    _check_protected(protected)
    chain = _chain(x5c)
    algorithm, verify = _verifier(chain[0])
    if protected.get("alg") != algorithm:
        why = f"header alg {protected.get('alg')!r} does not match the signing key ({algorithm})"
        raise SignatureError("ALGORITHM_MISMATCH", why)
    try:
        verify(signature, f"{encoded_protected}.{encoded_payload}".encode("ascii"))
    except (InvalidSignature, ValueError):
        raise SignatureError("BAD_SIGNATURE", "the signature does not verify with the signing certificate") from None
    target = payload.get("targetArtifact")
    if not isinstance(target, dict):
        raise SignatureError("MALFORMED_PAYLOAD", "the payload has no targetArtifact descriptor")
    return Envelope(protected, target, chain, algorithm)


def _check_protected(protected: Mapping[str, Any]) -> None:
    if protected.get("cty") != PAYLOAD_TYPE:
        raise SignatureError("MALFORMED_ENVELOPE", f"content type {protected.get('cty')!r} is not {PAYLOAD_TYPE}")
    critical = protected.get("crit")
    if not isinstance(critical, list) or SCHEME not in critical:
        raise SignatureError("MALFORMED_ENVELOPE", f"{SCHEME} is not marked critical")
    unknown = sorted(str(c) for c in critical if c not in UNDERSTOOD_CRITICAL)
    if unknown:
        raise SignatureError("UNKNOWN_CRITICAL_HEADER", f"unknown critical header(s): {', '.join(unknown)[:200]}")
    missing = [str(c) for c in critical if c not in protected]
    if missing:
        raise SignatureError("MALFORMED_ENVELOPE", f"critical header(s) absent: {', '.join(missing)[:200]}")
    if protected.get(SCHEME) not in SCHEMES:
        raise SignatureError("UNKNOWN_SCHEME", f"signing scheme {protected.get(SCHEME)!r} is not supported")
    if protected[SCHEME] == "notary.x509.signingAuthority" and AUTHENTIC_SIGNING_TIME not in critical:
        raise SignatureError("MALFORMED_ENVELOPE", f"{AUTHENTIC_SIGNING_TIME} is missing or not critical")


def _chain(x5c: list[Any]) -> tuple[x509.Certificate, ...]:
    if not x5c or len(x5c) > MAX_CHAIN:
        raise SignatureError("MALFORMED_ENVELOPE", f"x5c holds {len(x5c)} certificates (1 to {MAX_CHAIN} allowed)")
    try:
        return tuple(x509.load_der_x509_certificate(base64.b64decode(str(c), validate=True)) for c in x5c)
    except ValueError:
        raise SignatureError("MALFORMED_ENVELOPE", "x5c holds a certificate that cannot be parsed") from None


_EC = {
    "secp256r1": ("ES256", hashes.SHA256),
    "secp384r1": ("ES384", hashes.SHA384),
    "secp521r1": ("ES512", hashes.SHA512),
}
_RSA = {2048: ("PS256", hashes.SHA256), 3072: ("PS384", hashes.SHA384), 4096: ("PS512", hashes.SHA512)}


def _verifier(leaf: x509.Certificate) -> tuple[str, Any]:
    """The JWS algorithm the leaf key implies, and a function verifying (signature, data) with it."""
    key = leaf.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in _EC:
        algorithm, digest = _EC[key.curve.name]
        half = (key.curve.key_size + 7) // 8

        def verify_ec(signature: bytes, data: bytes) -> None:
            if len(signature) != 2 * half:
                raise InvalidSignature
            r, s = int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
            key.verify(encode_dss_signature(r, s), data, ec.ECDSA(digest()))

        return algorithm, verify_ec
    if isinstance(key, rsa.RSAPublicKey) and key.key_size in _RSA:
        algorithm, digest = _RSA[key.key_size]

        def verify_rsa(signature: bytes, data: bytes) -> None:
            pss = padding.PSS(mgf=padding.MGF1(digest()), salt_length=padding.PSS.DIGEST_LENGTH)
            key.verify(signature, data, pss, digest())

        return algorithm, verify_rsa
    raise SignatureError("UNSUPPORTED_KEY", "the signing key is not EC P-256/384/521 or RSA 2048/3072/4096")


def _time(protected: Mapping[str, Any], name: str) -> datetime:
    value = protected.get(name)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise SignatureError("MALFORMED_ENVELOPE", f"{name} {value!r} is not an RFC 3339 time") from None
    if parsed.tzinfo is None:
        raise SignatureError("MALFORMED_ENVELOPE", f"{name} {value!r} has no time zone")
    return parsed


def _b64(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))

"""What every Notation envelope format shares: the verified `Envelope`, the signed attributes' names
and rules, the certificate chain, and the signing algorithm derived from the leaf key.

`jws.py` (`application/jose+json`) and `cose.py` (`application/cose`) each parse their format and
hand over string-keyed signed attributes (times already as aware datetimes), so the chain, identity
and expiry checks (`trust.py`, `verify.py`) never look at the format. Imports `cryptography`: load
this module lazily.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

PAYLOAD_TYPE = "application/vnd.cncf.notary.payload.v1+json"
SCHEME = "io.cncf.notary.signingScheme"
SIGNING_TIME = "io.cncf.notary.signingTime"
AUTHENTIC_SIGNING_TIME = "io.cncf.notary.authenticSigningTime"
EXPIRY = "io.cncf.notary.expiry"
TIMES = (SIGNING_TIME, AUTHENTIC_SIGNING_TIME, EXPIRY)
SIGNER_PROFILE_VERSION = "com.amazonaws.signer.signingProfileVersion"
SIGNER_JOB = "com.amazonaws.signer.signingJob"
SIGNING_AUTHORITY = "notary.x509.signingAuthority"
TIMESTAMP_SIGNATURE = "io.cncf.notary.timestampSignature"
SCHEMES = frozenset({"notary.x509", SIGNING_AUTHORITY})
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
"""Critical attributes this verifier acts on (the AWS Signer attributes are its signing-profile identity)."""
MAX_CHAIN = 8


class SignatureError(ValueError):
    """A signature does not verify; `code` goes into the finding's reasons."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


@dataclass(frozen=True)
class Envelope:
    """An envelope whose signature verified with its leaf certificate's key, in either format."""

    format: str
    """The envelope media type: `application/jose+json` or `application/cose`."""
    attributes: Mapping[str, Any]
    """The signed, string-keyed Notary attributes (scheme, times as aware datetimes, AWS Signer ARNs)."""
    target: Mapping[str, Any]
    chain: tuple[x509.Certificate, ...]
    algorithm: str
    """PS256/384/512 or ES256/384/512, as the leaf key implies."""
    signature: bytes = b""
    """The signature value (what an RFC 3161 countersignature timestamps)."""
    timestamp_token: bytes | None = None
    """The unsigned `io.cncf.notary.timestampSignature` attribute: a DER TimeStampToken, if any."""

    @property
    def scheme(self) -> str:
        return str(self.attributes[SCHEME])

    @property
    def signing_time(self) -> datetime:
        """The time the chain is validated at: authentic for a signing authority, claimed otherwise."""
        name = AUTHENTIC_SIGNING_TIME if self.scheme == SIGNING_AUTHORITY else SIGNING_TIME
        value = self.attributes.get(name)
        if not isinstance(value, datetime):
            raise SignatureError("MALFORMED_ENVELOPE", f"the signed attribute {name} is absent")
        return value

    @property
    def expiry(self) -> datetime | None:
        value = self.attributes.get(EXPIRY)
        return value if isinstance(value, datetime) else None


def check_attributes(content_type: object, critical: object, attributes: Mapping[str, Any]) -> None:
    """Notation's rules on the signed attributes, whatever the format: the payload type, every
    critical attribute understood and present, the scheme critical (and the authentic signing time
    for a signing authority), every time an aware datetime."""
    if content_type != PAYLOAD_TYPE:
        raise SignatureError("MALFORMED_ENVELOPE", f"content type {content_type!r:.100} is not {PAYLOAD_TYPE}")
    if not isinstance(critical, list | tuple) or SCHEME not in critical:
        raise SignatureError("MALFORMED_ENVELOPE", f"{SCHEME} is not marked critical")
    unknown = sorted(str(c)[:100] for c in critical if not isinstance(c, str) or c not in UNDERSTOOD_CRITICAL)
    if unknown:
        raise SignatureError("UNKNOWN_CRITICAL_HEADER", f"unknown critical header(s): {', '.join(unknown)[:200]}")
    missing = [str(c) for c in critical if c not in attributes]
    if missing:
        raise SignatureError("MALFORMED_ENVELOPE", f"critical header(s) absent: {', '.join(missing)[:200]}")
    scheme = attributes.get(SCHEME)
    if not isinstance(scheme, str) or scheme not in SCHEMES:
        raise SignatureError("UNKNOWN_SCHEME", f"signing scheme {scheme!r:.100} is not supported")
    if scheme == SIGNING_AUTHORITY and AUTHENTIC_SIGNING_TIME not in critical:
        raise SignatureError("MALFORMED_ENVELOPE", f"{AUTHENTIC_SIGNING_TIME} is missing or not critical")
    for name in TIMES:
        value = attributes.get(name)
        if name in attributes and (not isinstance(value, datetime) or value.tzinfo is None):
            raise SignatureError("MALFORMED_ENVELOPE", f"{name} {value!r:.100} is not a time with a time zone")


def load_chain(items: Sequence[Any], label: str, to_der: Callable[[Any], bytes]) -> tuple[x509.Certificate, ...]:
    """The certificates of a chain header, leaf first (`label` names the header in the reasons)."""
    if not items or len(items) > MAX_CHAIN:
        why = f"{label} holds {len(items)} certificates (1 to {MAX_CHAIN} allowed)"
        raise SignatureError("MALFORMED_ENVELOPE", why)
    try:
        return tuple(_parsed(x509.load_der_x509_certificate(to_der(item))) for item in items)
    except (ValueError, TypeError, x509.InvalidVersion):
        raise SignatureError("MALFORMED_ENVELOPE", f"{label} holds a certificate that cannot be parsed") from None


def _parsed(certificate: x509.Certificate) -> x509.Certificate:
    """`cryptography` parses names and extensions when first read: read them now, so a damaged
    certificate is a malformed envelope here rather than an exception in the chain checks."""
    _ = (certificate.subject, certificate.issuer, certificate.extensions, certificate.not_valid_after_utc)
    return certificate


def target_of(payload: bytes) -> Mapping[str, Any]:
    """The `targetArtifact` descriptor of a Notation payload (`application/vnd.cncf.notary.payload.v1+json`)."""
    try:
        document = json.loads(payload)
    except ValueError:
        raise SignatureError("MALFORMED_PAYLOAD", "the payload is not JSON") from None
    target = document.get("targetArtifact") if isinstance(document, dict) else None
    if not isinstance(target, dict):
        raise SignatureError("MALFORMED_PAYLOAD", "the payload has no targetArtifact descriptor")
    return target


class Algorithm(NamedTuple):
    """The algorithm a leaf key implies, by its JOSE name and COSE label, and a function verifying
    (signature, data) with that key; ECDSA signatures are raw r||s in both formats."""

    name: str
    cose: int
    verify: Callable[[bytes, bytes], None]


_EC = {
    "secp256r1": ("ES256", -7, hashes.SHA256),
    "secp384r1": ("ES384", -35, hashes.SHA384),
    "secp521r1": ("ES512", -36, hashes.SHA512),
}
_RSA = {
    2048: ("PS256", -37, hashes.SHA256),
    3072: ("PS384", -38, hashes.SHA384),
    4096: ("PS512", -39, hashes.SHA512),
}


def algorithm_of(leaf: x509.Certificate) -> Algorithm:
    """The only algorithm the leaf's key may sign with (Notation never takes it from the header)."""
    try:
        key = leaf.public_key()
    except (ValueError, UnsupportedAlgorithm):
        raise SignatureError("UNSUPPORTED_KEY", "the signing certificate's key cannot be read") from None
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in _EC:
        name, label, digest = _EC[key.curve.name]
        half = (key.curve.key_size + 7) // 8

        def verify_ec(signature: bytes, data: bytes) -> None:
            if len(signature) != 2 * half:
                raise InvalidSignature
            r, s = int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
            key.verify(encode_dss_signature(r, s), data, ec.ECDSA(digest()))

        return Algorithm(name, label, verify_ec)
    if isinstance(key, rsa.RSAPublicKey) and key.key_size in _RSA:
        name, label, digest = _RSA[key.key_size]

        def verify_rsa(signature: bytes, data: bytes) -> None:
            pss = padding.PSS(mgf=padding.MGF1(digest()), salt_length=padding.PSS.DIGEST_LENGTH)
            key.verify(signature, data, pss, digest())

        return Algorithm(name, label, verify_rsa)
    raise SignatureError("UNSUPPORTED_KEY", "the signing key is not EC P-256/384/521 or RSA 2048/3072/4096")


def check_signature(algorithm: Algorithm, signature: bytes, data: bytes) -> None:
    try:
        algorithm.verify(signature, data)
    except (InvalidSignature, ValueError):
        raise SignatureError("BAD_SIGNATURE", "the signature does not verify with the signing certificate") from None

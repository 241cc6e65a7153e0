"""The X.509 profile of the Notary Project signature specification ("Certificate Requirements"), for
code-signing chains (the envelope's `x5c` / `x5chain`) and timestamping chains (an RFC 3161 token's).

The chain is judged exactly as the envelope orders it: leaf first, each certificate issued by the next,
ending at a self-signed root, every certificate valid throughout the given time range. Rules:

- leaf: keyUsage present (critical for code signing; the spec says only SHOULD for timestamping) with
  digitalSignature and none of keyEncipherment, dataEncipherment, keyAgreement, keyCertSign, cRLSign,
  encipherOnly, decipherOnly; basicConstraints, when present, has cA false; extendedKeyUsage, when
  present for code signing, has none of anyExtendedKeyUsage, serverAuth, clientAuth, emailProtection,
  timeStamping; for timestamping it is present, critical and exactly timeStamping (RFC 3161 §2.3);
- every CA certificate (all but the leaf): basicConstraints present, critical, cA true, pathLenConstraint
  (when not null) at least the number of CA certificates below it; keyUsage present (critical for code
  signing) with keyCertSign;
- every certificate: RSA keys of 2048 bits or more, EC keys of 256 bits or more, no SHA-1 signature.
  (The spec states the key length under "Leaf Certificates"; applying it to CAs too is stricter, and a
  weak CA key would forge any leaf.)
- a chain of one certificate is a root that meets the leaf rules, as the spec says.

Other extensions (name constraints, policies, unknown critical extensions) are not evaluated: the spec
says implementations MUST fail open on them. That is why this is hand-written and not
`cryptography.x509.verification`: its verifier always enforces name constraints, refuses unknown
critical extensions and builds its own path instead of judging the envelope's order (measured with
cryptography 50.0.2; its custom extension policies express the keyUsage / EKU / basicConstraints rules
above, but not fail-open). Imports `cryptography`: load this module lazily.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from provenance_guard.signatures.envelope import SignatureError

T = TypeVar("T", bound=x509.ExtensionType)
MIN_RSA_BITS = 2048
MIN_EC_BITS = 256
FORBIDDEN_LEAF_KEY_USAGES = (
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
)
_PURPOSES = {
    ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE: "anyExtendedKeyUsage",
    ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
    ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "emailProtection",
    ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
    ExtendedKeyUsageOID.CODE_SIGNING: "codeSigning",
}


@dataclass(frozen=True)
class Profile:
    """What the spec requires of one kind of chain (code signing or timestamping)."""

    name: str
    leaf_code: str
    """The reason code of a leaf breaking the profile."""
    forbidden_purposes: frozenset[x509.ObjectIdentifier]
    required_purpose: x509.ObjectIdentifier | None
    """When set, the leaf's extendedKeyUsage must be present, critical and exactly this purpose."""
    key_usage_critical: bool
    """Whether keyUsage must be critical (a MUST for code signing, a SHOULD for timestamping)."""


CODE_SIGNING = Profile(
    name="code signing",
    leaf_code="BAD_SIGNING_CERTIFICATE",
    forbidden_purposes=frozenset(
        {
            ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
            ExtendedKeyUsageOID.SERVER_AUTH,
            ExtendedKeyUsageOID.CLIENT_AUTH,
            ExtendedKeyUsageOID.EMAIL_PROTECTION,
            ExtendedKeyUsageOID.TIME_STAMPING,
        }
    ),
    required_purpose=None,
    key_usage_critical=True,
)
TIMESTAMPING = Profile(
    name="timestamping",
    leaf_code="BAD_TIMESTAMP_CERTIFICATE",
    forbidden_purposes=frozenset(
        {
            ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
            ExtendedKeyUsageOID.SERVER_AUTH,
            ExtendedKeyUsageOID.CLIENT_AUTH,
            ExtendedKeyUsageOID.EMAIL_PROTECTION,
            ExtendedKeyUsageOID.CODE_SIGNING,
        }
    ),
    required_purpose=ExtendedKeyUsageOID.TIME_STAMPING,
    key_usage_critical=False,
)


def check_chain(
    chain: Sequence[x509.Certificate], profile: Profile, earliest: datetime, latest: datetime | None = None
) -> None:
    """`SignatureError` naming the first rule the chain breaks; every certificate must be valid from
    `earliest` to `latest` (one instant when `latest` is None)."""
    if not chain:
        raise SignatureError("BROKEN_CHAIN", f"the {profile.name} chain is empty")
    for position, certificate in enumerate(chain):
        _check_algorithms(certificate, position, profile)
    _check_issuance(chain, profile)
    for position, certificate in enumerate(chain):
        _check_validity(certificate, position, earliest, latest or earliest)
    check_leaf(chain[0], profile)
    for position in range(1, len(chain)):
        _check_ca(chain[position], position, profile)


def check_leaf(leaf: x509.Certificate, profile: Profile) -> None:
    """The leaf rules: keyUsage, basicConstraints and extendedKeyUsage."""
    code = profile.leaf_code
    usage_extension = _extension(leaf, x509.KeyUsage)
    if usage_extension is None:
        raise SignatureError(code, f"the {profile.name} certificate has no keyUsage extension")
    if profile.key_usage_critical and not usage_extension.critical:
        raise SignatureError(code, f"the {profile.name} certificate's keyUsage is not critical")
    usage = usage_extension.value
    if not usage.digital_signature:
        raise SignatureError(code, f"the {profile.name} certificate's keyUsage lacks digitalSignature")
    forbidden = [name for name in FORBIDDEN_LEAF_KEY_USAGES if _usage_bit(usage, name)]
    if forbidden:
        raise SignatureError(code, f"the {profile.name} certificate's keyUsage sets {', '.join(forbidden)}")
    constraints = _extension(leaf, x509.BasicConstraints)
    if constraints is not None and constraints.value.ca:
        raise SignatureError(code, f"the {profile.name} certificate is a CA certificate (basicConstraints cA true)")
    _check_purposes(leaf, profile)


def _check_purposes(leaf: x509.Certificate, profile: Profile) -> None:
    code = profile.leaf_code
    extension = _extension(leaf, x509.ExtendedKeyUsage)
    if profile.required_purpose is not None:
        wanted = _PURPOSES[profile.required_purpose]
        if extension is None or not extension.critical:
            raise SignatureError(code, f"the {profile.name} certificate has no critical extendedKeyUsage {wanted}")
        if list(extension.value) != [profile.required_purpose]:
            raise SignatureError(code, f"the {profile.name} certificate's extendedKeyUsage is not {wanted} only")
        return
    if extension is None:
        return
    found = sorted(_PURPOSES[p] for p in extension.value if p in profile.forbidden_purposes)
    if found:
        raise SignatureError(code, f"the {profile.name} certificate's extendedKeyUsage holds {', '.join(found)}")


def _check_ca(certificate: x509.Certificate, position: int, profile: Profile) -> None:
    """`position` is the certificate's index in the chain: position - 1 CA certificates lie below it."""
    where = f"certificate {position} ({_subject(certificate)})"
    constraints = _extension(certificate, x509.BasicConstraints)
    if constraints is None or not constraints.critical or not constraints.value.ca:
        raise SignatureError("BAD_CA_CERTIFICATE", f"{where} has no critical basicConstraints with cA true")
    path_length = constraints.value.path_length
    if path_length is not None and position - 1 > path_length:
        why = (
            f"{where} allows {path_length} CA certificate(s) below it (pathLenConstraint), the chain has {position - 1}"
        )
        raise SignatureError("BAD_CA_CERTIFICATE", why)
    usage = _extension(certificate, x509.KeyUsage)
    if usage is None or (profile.key_usage_critical and not usage.critical):
        adjective = "critical " if profile.key_usage_critical else ""
        raise SignatureError("BAD_CA_CERTIFICATE", f"{where} has no {adjective}keyUsage extension")
    if not usage.value.key_cert_sign:
        raise SignatureError("BAD_CA_CERTIFICATE", f"{where}'s keyUsage lacks keyCertSign")


def _check_issuance(chain: Sequence[x509.Certificate], profile: Profile) -> None:
    """Each certificate is issued by the next one; the last one by itself (a root)."""
    for position, (child, issuer) in enumerate(zip(chain, [*chain[1:], chain[-1]], strict=True)):
        try:
            child.verify_directly_issued_by(issuer)
        except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm) as error:
            last = position == len(chain) - 1
            whom = "itself (the chain must end at a root)" if last else "the next one"
            why = f"{profile.name} certificate {position} is not issued by {whom} ({type(error).__name__})"
            raise SignatureError("BROKEN_CHAIN", why) from None


def _check_algorithms(certificate: x509.Certificate, position: int, profile: Profile) -> None:
    where = f"{profile.name} certificate {position} ({_subject(certificate)})"
    try:
        algorithm = certificate.signature_hash_algorithm
    except UnsupportedAlgorithm:
        algorithm = None
    if isinstance(algorithm, hashes.SHA1 | hashes.MD5):
        raise SignatureError("WEAK_CERTIFICATE", f"{where} is signed with {algorithm.name}")
    try:
        key = certificate.public_key()
    except (ValueError, UnsupportedAlgorithm):
        raise SignatureError("WEAK_CERTIFICATE", f"{where} has a key that cannot be read") from None
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        raise SignatureError("WEAK_CERTIFICATE", f"{where} has an RSA key of {key.key_size} bits (< {MIN_RSA_BITS})")
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size < MIN_EC_BITS:
        bits = key.curve.key_size
        raise SignatureError("WEAK_CERTIFICATE", f"{where} has an EC key of {bits} bits (< {MIN_EC_BITS})")


def _check_validity(certificate: x509.Certificate, position: int, earliest: datetime, latest: datetime) -> None:
    if certificate.not_valid_before_utc <= earliest and latest <= certificate.not_valid_after_utc:
        return
    when = (
        f"at {earliest.isoformat()}" if earliest == latest else f"from {earliest.isoformat()} to {latest.isoformat()}"
    )
    why = f"certificate {position} ({_subject(certificate)}) was not valid {when}"
    raise SignatureError("CERTIFICATE_NOT_VALID_AT_SIGNING", why)


def _extension(certificate: x509.Certificate, kind: type[T]) -> x509.Extension[T] | None:
    try:
        return certificate.extensions.get_extension_for_class(kind)
    except x509.ExtensionNotFound:
        return None


def _usage_bit(usage: x509.KeyUsage, name: str) -> bool:
    """encipherOnly / decipherOnly raise unless keyAgreement is set, when they are meaningless anyway."""
    try:
        return bool(getattr(usage, name))
    except ValueError:
        return False


def _subject(certificate: x509.Certificate) -> str:
    return certificate.subject.rfc4514_string()[:120]

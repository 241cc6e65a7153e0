"""Authenticity of a verified envelope: its chain ends at a root of the policy's trust stores, every
certificate was valid when it signed, and its signer is one of the trusted identities.

Trust-store types stay separate as in Notation (`ca:` roots for `notary.x509`, `signingAuthority:`
roots for AWS Signer), so an end user of an organisation's CA cannot pose as a signing authority.
Imports `cryptography`: load this module lazily.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from provenance_guard.signatures import x509_profile
from provenance_guard.signatures.envelope import SIGNER_PROFILE_VERSION, SIGNING_AUTHORITY, Envelope, SignatureError

STORE_TYPE = {"notary.x509": "ca", SIGNING_AUTHORITY: "signingAuthority"}
SUBJECT_PREFIX = "x509.subject:"
BUILT_IN_STORES: Mapping[str, tuple[str, str]] = {
    "signingAuthority:aws-signer": (
        "aws-signer-notation-root.pem",
        "90a87d0543c3f094dbff9589b6649affe2f3d6e0f308799be2258461c686473f",
    ),
    "signingAuthority:aws-us-gov-signer": (
        "aws-us-gov-signer-notation-root.pem",
        "673653ab76f41a10546cdeb4107ecd6df2c15c2c9a0d32ed97d271b4436fc3e8",
    ),
}
"""AWS Signer's Notation roots (commercial and GovCloud), shipped in `provenance_guard/data/` and pinned
by the SHA-256 of their DER: a shipped file that does not hash to its pin is refused."""
DATA = Path(__file__).resolve().parent.parent / "data"


@cache
def built_in_store(name: str) -> frozenset[bytes]:
    """The fingerprints of a built-in store's root (empty for a name that is not built in)."""
    if name not in BUILT_IN_STORES:
        return frozenset()
    file_name, pinned = BUILT_IN_STORES[name]
    certificate = x509.load_pem_x509_certificate((DATA / file_name).read_bytes())
    fingerprint = certificate.fingerprint(hashes.SHA256())
    if fingerprint.hex() != pinned:
        raise SignatureError("BAD_TRUST_STORE", f"the shipped {file_name} is not the pinned AWS Signer root")
    return frozenset({fingerprint})


def roots(store_names: Iterable[str], stores: Mapping[str, str], scheme: str) -> frozenset[bytes]:
    """SHA-256 fingerprints of the root certificates in the named stores of the type `scheme` uses:
    the policy's PEM text per store, plus the built-in AWS Signer stores."""
    wanted = STORE_TYPE[scheme]
    found: set[bytes] = set()
    for name in store_names:
        if name.partition(":")[0] != wanted:
            continue
        found |= built_in_store(name)
        if name not in stores:
            continue
        try:
            found |= {c.fingerprint(hashes.SHA256()) for c in x509.load_pem_x509_certificates(stores[name].encode())}
        except ValueError:
            raise SignatureError("BAD_TRUST_STORE", f"trust store {name} holds no readable PEM certificate") from None
    if not found:
        raise SignatureError("NO_TRUST_STORE", f"the trust policy names no {wanted}: trust store with certificates")
    return frozenset(found)


def validate_chain(envelope: Envelope, trusted: frozenset[bytes]) -> None:
    """The chain ends at a trusted root and meets the Notation code-signing profile (`x509_profile`),
    every certificate valid at the signing time. An AWS Signer leaf lives about three days, so a
    signing authority's chain is judged at its authentic signing time only."""
    chain = envelope.chain
    if chain[-1].fingerprint(hashes.SHA256()) not in trusted:
        raise SignatureError(
            "UNTRUSTED_ROOT",
            f"the chain ends at {chain[-1].subject.rfc4514_string()[:200]}, "
            "which is not in the trust policy's trust stores",
        )
    x509_profile.check_chain(chain, x509_profile.CODE_SIGNING, envelope.signing_time)


def expired_leaf(envelope: Envelope, now: datetime) -> SignatureError | None:
    """Notation's authentic-timestamp check without a timestamp: a `notary.x509` signing time is only
    claimed, so every certificate of the chain must still be valid now (AWS Signer's time is authentic)."""
    if envelope.scheme != "notary.x509":
        return None
    for position, certificate in enumerate(envelope.chain):
        if now > certificate.not_valid_after_utc:
            expired = certificate.not_valid_after_utc.date().isoformat()
            which = "the signing certificate" if position == 0 else f"certificate {position} of the chain"
            return SignatureError("CERTIFICATE_EXPIRED", f"{which} expired on {expired}")
    return None


def identity(envelope: Envelope) -> str:
    """Who signed: the leaf subject for `notary.x509`, the signing-profile version ARN for AWS Signer
    (every AWS account's signatures chain to the same AWS root, so the certificate says nothing)."""
    if envelope.scheme == SIGNING_AUTHORITY:
        profile = envelope.attributes.get(SIGNER_PROFILE_VERSION)
        if not isinstance(profile, str) or not profile.startswith("arn:"):
            raise SignatureError("NO_IDENTITY", f"the signature carries no {SIGNER_PROFILE_VERSION}")
        return profile
    return envelope.chain[0].subject.rfc4514_string()


def trusted_identity(envelope: Envelope, identities: Iterable[str]) -> str | None:
    """The trusted identity entry the signer matches, if any."""
    if envelope.scheme == SIGNING_AUTHORITY:
        version = identity(envelope)
        profile = version.rsplit("/", 1)[0]
        return next((i for i in identities if i in (version, profile)), None)
    subject = _rdns(envelope.chain[0].subject)
    for entry in identities:
        if not entry.startswith(SUBJECT_PREFIX):
            continue
        wanted = parse_subject(entry[len(SUBJECT_PREFIX) :])
        if wanted and all(subject.get(k) == v for k, v in wanted.items()):
            return entry
    return None


def parse_subject(text: str) -> dict[str, str]:
    """`C=US, ST=WA, O=Example` -> {C: US, ST: WA, O: Example} (commas inside values are not supported)."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    pairs = [p.partition("=") for p in parts]
    return {k.strip(): v.strip() for k, sep, v in pairs if sep}


def _rdns(name: x509.Name) -> dict[str, str]:
    return {a.rfc4514_attribute_name: str(a.value) for a in name}

"""Sigstore trust roots (`application/vnd.dev.sigstore.trustedroot+json;version=0.1`, the
`trusted_root.json` of Sigstore's TUF repositories): Fulcio CA chains, Rekor log keys and timestamp
authorities, each with the period it is valid for.

The public-good instance's root ships in `provenance_guard/data/sigstore-public-good-trusted-root.json`,
copied from the `sigstore` PyPI package (4.5.1, `sigstore/_store/https%3A%2F%2Ftuf-repo-cdn.sigstore.dev/`)
and pinned by SHA-256: a shipped file that does not hash to its pin is refused. It is not refreshed at
run time (no TUF client in the Lambda): a new Sigstore key means a new provenance-guard release, or the
root given through policy. A private instance (GitHub's own, for private-repository attestations, or a
self-hosted Sigstore) is added the same way: its `trusted_root.json` text under a `sigstore:<name>` trust
store (`gh attestation trusted-root` prints GitHub's). Imports `cryptography`: load this module lazily.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from provenance_guard.signatures.envelope import SignatureError

MEDIA_TYPE = "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
PUBLIC_GOOD = "sigstore:public-good"
BUILT_IN: Mapping[str, tuple[str, str]] = {
    PUBLIC_GOOD: (
        "sigstore-public-good-trusted-root.json",
        "6494e21ea73fa7ee769f85f57d5a3e6a08725eae1e38c755fc3517c9e6bc0b66",
    )
}
DATA = Path(__file__).resolve().parent.parent / "data"
LogKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey


@dataclass(frozen=True)
class Period:
    start: datetime | None
    end: datetime | None

    def covers(self, when: datetime) -> bool:
        return (self.start is None or self.start <= when) and (self.end is None or when <= self.end)


@dataclass(frozen=True)
class CertificateAuthority:
    uri: str
    chain: tuple[x509.Certificate, ...]
    """As the trust root lists it: issuing CA first, root last."""
    valid: Period


@dataclass(frozen=True)
class TransparencyLog:
    base_url: str
    log_id: bytes
    key: LogKey
    valid: Period


@dataclass(frozen=True)
class TrustRoot:
    name: str
    certificate_authorities: tuple[CertificateAuthority, ...]
    logs: tuple[TransparencyLog, ...]
    timestamp_authorities: tuple[CertificateAuthority, ...]

    def log(self, log_id: bytes) -> TransparencyLog | None:
        return next((log for log in self.logs if log.log_id == log_id), None)


@cache
def built_in(name: str) -> TrustRoot:
    file_name, pinned = BUILT_IN[name]
    raw = (DATA / file_name).read_bytes()
    if hashlib.sha256(raw).hexdigest() != pinned:
        raise SignatureError("BAD_TRUST_STORE", f"the shipped {file_name} is not the pinned Sigstore trust root")
    return parse(name, raw)


def load(name: str, stores: Mapping[str, str]) -> TrustRoot:
    """A `sigstore:<name>` trust store: the policy's trusted_root.json text, else the built-in one."""
    if name in stores:
        return parse(name, stores[name].encode())
    if name in BUILT_IN:
        return built_in(name)
    raise SignatureError("NO_TRUST_STORE", f"no Sigstore trust root {name[:100]} is configured")


def parse(name: str, raw: bytes) -> TrustRoot:
    try:
        document = json.loads(raw)
        if document.get("mediaType") != MEDIA_TYPE:
            raise ValueError(f"media type {str(document.get('mediaType'))[:80]}")
        authorities = tuple(_authority(a) for a in document.get("certificateAuthorities", []))
        logs = tuple(_log(t) for t in document.get("tlogs", []))
        timestamping = tuple(_authority(a) for a in document.get("timestampAuthorities", []))
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        why = f"trust store {name[:100]} is not a Sigstore trusted_root.json ({type(error).__name__}: {error})"
        raise SignatureError("BAD_TRUST_STORE", why[:300]) from None
    return TrustRoot(name, authorities, logs, timestamping)


def _authority(entry: Mapping[str, Any]) -> CertificateAuthority:
    certificates = entry["certChain"]["certificates"]
    chain = tuple(x509.load_der_x509_certificate(base64.b64decode(c["rawBytes"])) for c in certificates)
    if not chain:
        raise ValueError("a certificate authority without certificates")
    return CertificateAuthority(str(entry.get("uri", "")), chain, _period(entry.get("validFor")))


def _log(entry: Mapping[str, Any]) -> TransparencyLog:
    key = serialization.load_der_public_key(base64.b64decode(entry["publicKey"]["rawBytes"]))
    if not isinstance(key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        raise ValueError("a transparency log key that is not ECDSA or Ed25519")
    log_id = base64.b64decode(entry["logId"]["keyId"])
    return TransparencyLog(str(entry.get("baseUrl", "")), log_id, key, _period(entry["publicKey"].get("validFor")))


def _period(value: Any) -> Period:
    value = value or {}
    return Period(_time(value.get("start")), _time(value.get("end")))


def _time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value).replace("Z", "+00:00"))

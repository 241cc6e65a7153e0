"""Test-side Notation signer: a CA chain made with `cryptography` and JWS envelopes in Notation's format,
pushed as OCI 1.1 signature manifests plus the referrers tag-schema index (docker-registry 2.8 has no
referrers API, so writers keep the `sha256-<hex>` index, as Notation does)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from provenance_guard.oci.manifest import OCI_EMPTY, OCI_INDEX, OCI_MANIFEST
from provenance_guard_cli.local_registry import Pushed, RegistryPusher

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
PROFILE = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/release"
EMPTY = b"{}"


def _name(cn: str, org: str = "Example Org") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "WA"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


@dataclass
class Issued:
    cert: x509.Certificate
    key: Any

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()


def issue(
    cn: str,
    issuer: Issued | None,
    *,
    ca: bool,
    key: Any = None,
    not_before: datetime = NOW - timedelta(days=30),
    not_after: datetime = NOW + timedelta(days=365),
    org: str = "Example Org",
) -> Issued:
    key = key or ec.generate_private_key(ec.SECP384R1())
    subject = _name(cn, org)
    usage = dict.fromkeys(
        ("content_commitment", "key_encipherment", "data_encipherment", "key_agreement", "crl_sign"), False
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                key_cert_sign=ca,
                encipher_only=False,
                decipher_only=False,
                **usage,
            ),
            critical=True,
        )
    )
    signer = issuer.key if issuer else key
    return Issued(
        builder.sign(signer, hashes.SHA384() if isinstance(signer, ec.EllipticCurvePrivateKey) else hashes.SHA256()),
        key,
    )


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jws(
    leaf: Issued,
    chain: list[Issued],
    target: dict[str, Any],
    *,
    scheme: str = "notary.x509",
    signing_time: datetime = NOW - timedelta(hours=1),
    extra: dict[str, Any] | None = None,
    crit: list[str] | None = None,
    alg: str | None = None,
    tamper_payload: bool = False,
) -> bytes:
    """A Notation JWS envelope (flattened JSON), signed with `leaf.key`."""
    key = leaf.key
    if isinstance(key, rsa.RSAPrivateKey):
        default_alg, digest = {2048: ("PS256", hashes.SHA256()), 3072: ("PS384", hashes.SHA384())}[key.key_size]
    else:
        default_alg, digest = {256: ("ES256", hashes.SHA256()), 384: ("ES384", hashes.SHA384())}[key.curve.key_size]
    protected: dict[str, Any] = {
        "alg": alg or default_alg,
        "cty": "application/vnd.cncf.notary.payload.v1+json",
        "crit": crit or ["io.cncf.notary.signingScheme"],
        "io.cncf.notary.signingScheme": scheme,
    }
    time_name = (
        "io.cncf.notary.authenticSigningTime" if scheme.endswith("signingAuthority") else "io.cncf.notary.signingTime"
    )
    protected[time_name] = signing_time.isoformat()
    if scheme.endswith("signingAuthority") and crit is None:
        protected["crit"] = ["io.cncf.notary.signingScheme", time_name]
    protected.update(extra or {})
    encoded_protected = b64url(json.dumps(protected).encode())
    encoded_payload = b64url(json.dumps({"targetArtifact": target}).encode())
    signing_input = f"{encoded_protected}.{encoded_payload}".encode()
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(signing_input, padding.PSS(padding.MGF1(digest), digest.digest_size), digest)
    else:
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(digest)))
        half = (key.curve.key_size + 7) // 8
        signature = r.to_bytes(half, "big") + s.to_bytes(half, "big")
    if tamper_payload:
        encoded_payload = b64url(json.dumps({"targetArtifact": {**target, "annotations": {"x": "y"}}}).encode())
    x5c = [base64.b64encode(c.cert.public_bytes(serialization.Encoding.DER)).decode() for c in chain]
    envelope = {
        "payload": encoded_payload,
        "protected": encoded_protected,
        "header": {"x5c": x5c},
        "signature": b64url(signature),
    }
    return json.dumps(envelope).encode()


def target_of(pushed: Pushed) -> dict[str, Any]:
    return {"mediaType": pushed.media_type, "digest": pushed.digest, "size": pushed.size}


def push_signature(pusher: RegistryPusher, repository: str, subject: Pushed, envelope: bytes) -> Pushed:
    """Push a Notation signature manifest for `subject` and (re)write the referrers tag-schema index."""
    pusher.blob(repository, EMPTY)
    layer = {"mediaType": "application/jose+json", "digest": pusher.blob(repository, envelope), "size": len(envelope)}
    document = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.cncf.notary.signature",
        "config": {"mediaType": OCI_EMPTY, "digest": pusher.blob(repository, EMPTY), "size": len(EMPTY)},
        "layers": [layer],
        "subject": target_of(subject),
        "annotations": {"io.cncf.notary.x509chain.thumbprint#S256": "[]"},
    }
    pushed = pusher.manifest(repository, document)
    _add_referrer(pusher, repository, subject.digest, pushed)
    return pushed


_INDEXES: dict[tuple[str, str, str], list[dict[str, Any]]] = {}


def _add_referrer(pusher: RegistryPusher, repository: str, subject: str, pushed: Pushed) -> None:
    entries = _INDEXES.setdefault((pusher.url, repository, subject), [])
    entries.append(
        {
            "mediaType": pushed.media_type,
            "digest": pushed.digest,
            "size": pushed.size,
            "artifactType": "application/vnd.cncf.notary.signature",
        }
    )
    algorithm, _, encoded = subject.partition(":")
    pusher.manifest(
        repository, {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}, f"{algorithm}-{encoded}"
    )

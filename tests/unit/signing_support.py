"""Test-side Notation signer: a CA chain made with `cryptography` and JWS and COSE envelopes in Notation's format,
pushed as OCI 1.1 signature manifests plus the referrers tag-schema index (docker-registry 2.8 has no
referrers API, so writers keep the `sha256-<hex>` index, as Notation does)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

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


def algorithm_of(key: Any) -> tuple[str, int, hashes.HashAlgorithm]:
    """The JOSE name, COSE label and hash of the algorithm Notation uses with `key`."""
    if isinstance(key, rsa.RSAPrivateKey):
        return {2048: ("PS256", -37, hashes.SHA256()), 3072: ("PS384", -38, hashes.SHA384())}[key.key_size]
    return {256: ("ES256", -7, hashes.SHA256()), 384: ("ES384", -35, hashes.SHA384())}[key.curve.key_size]


def sign_raw(key: Any, data: bytes) -> bytes:
    """RSASSA-PSS (salt = hash length), or ECDSA as raw r||s: the form JWS and COSE both use."""
    digest = algorithm_of(key)[2]
    if isinstance(key, rsa.RSAPrivateKey):
        return bytes(key.sign(data, padding.PSS(padding.MGF1(digest), digest.digest_size), digest))
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(digest)))
    half = (key.curve.key_size + 7) // 8
    return r.to_bytes(half, "big") + s.to_bytes(half, "big")


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
    default_alg = algorithm_of(leaf.key)[0]
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
    signature = sign_raw(leaf.key, f"{encoded_protected}.{encoded_payload}".encode())
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


COSE = "application/cose"


def cose(
    leaf: Issued,
    chain: list[Issued],
    target: dict[str, Any],
    *,
    scheme: str = "notary.x509",
    signing_time: datetime = NOW - timedelta(hours=1),
    extra: dict[str, Any] | None = None,
    crit: list[Any] | None = None,
    alg: int | None = None,
    tamper_payload: bool = False,
    tag: int | None = 18,
    x5chain: bool = True,
) -> bytes:
    """A Notation COSE_Sign1 envelope (CBOR tag 18 unless `tag` says otherwise), signed with `leaf.key`:
    times as CBOR tag-1 epoch values, the chain in the unprotected header's x5chain (label 33)."""
    time_name = (
        "io.cncf.notary.authenticSigningTime" if scheme.endswith("signingAuthority") else "io.cncf.notary.signingTime"
    )
    default_crit = ["io.cncf.notary.signingScheme"] + ([time_name] if scheme.endswith("signingAuthority") else [])
    protected: dict[Any, Any] = {
        1: alg if alg is not None else algorithm_of(leaf.key)[1],
        2: crit if crit is not None else default_crit,
        3: "application/vnd.cncf.notary.payload.v1+json",
        "io.cncf.notary.signingScheme": scheme,
        time_name: cbor2.CBORTag(1, int(signing_time.timestamp())),
    }
    protected.update(extra or {})
    protected_bytes = cbor2.dumps(protected)
    payload = json.dumps({"targetArtifact": target}).encode()
    signature = sign_raw(leaf.key, cbor2.dumps(["Signature1", protected_bytes, b"", payload]))
    if tamper_payload:
        payload = json.dumps({"targetArtifact": {**target, "annotations": {"x": "y"}}}).encode()
    ders = [c.cert.public_bytes(serialization.Encoding.DER) for c in chain]
    unprotected: dict[Any, Any] = {"io.cncf.notary.signingAgent": "provenance-guard tests"}
    if x5chain:
        unprotected[33] = ders[0] if len(ders) == 1 else ders
    message = [protected_bytes, unprotected, payload, signature]
    return cbor2.dumps(message if tag is None else cbor2.CBORTag(tag, message))

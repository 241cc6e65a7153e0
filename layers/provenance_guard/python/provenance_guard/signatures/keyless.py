"""Keyless Sigstore bundles (media types v0.1, v0.2 and v0.3; GitHub artifact attestations are v0.3
with a DSSE envelope): a Fulcio certificate, a Rekor entry and/or an RFC 3161 timestamp, checked
offline against a Sigstore trust root (`sigstore_root`):

1. a trusted time: the Rekor entry's integrated time when its signed entry timestamp verifies, else an
   RFC 3161 timestamp over the signature from one of the trust root's timestamp authorities (GitHub's
   private instance uses those instead of Rekor); an entry proven only by its inclusion proof proves
   inclusion, not time;
2. the Fulcio certificate chains to one of the trust root's CAs valid at that time, the certificate
   valid at that time (`cryptography.x509.verification`, with extension policies: the leaf's keyUsage
   critical with digitalSignature and extendedKeyUsage codeSigning; each CA's basicConstraints critical
   with cA and keyUsage keyCertSign);
3. the signature (over the DSSE PAE, or over the artifact for a message signature) verifies with the
   certificate's key, and the Rekor entry's body is this signature by this certificate
   (`hashedrekord` 0.0.1 or `dsse` 0.0.1);
4. the certificate's identity (SAN URI or email) and OIDC issuer (extension 1.3.6.1.4.1.57264.1.8, or
   the legacy 1.3.6.1.4.1.57264.1.1) match a `keyless_identities` entry {issuer, subject glob}.

The SCTs of the certificate (Fulcio's certificate-transparency log) are not checked. The `sigstore`
package is not used (its import costs ~265 ms and brings pydantic, rich, tuf, requests): only its trust
root data. Imports `cryptography`: load this module lazily.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import Criticality, ExtensionPolicy, PolicyBuilder, Store, VerificationError

from provenance_guard.signatures import rekor, timestamp
from provenance_guard.signatures.dsse import pae
from provenance_guard.signatures.envelope import SignatureError
from provenance_guard.signatures.provenance import glob_match
from provenance_guard.signatures.sigstore_root import TrustRoot

BUNDLE_TYPES = frozenset(
    {
        "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "application/vnd.dev.sigstore.bundle+json;version=0.2",
        "application/vnd.dev.sigstore.bundle.v0.3+json",
    }
)
ISSUER_V1 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
ISSUER_V2 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
FULCIO_EXTENSIONS = {
    "1.3.6.1.4.1.57264.1.9": "build_signer_uri",
    "1.3.6.1.4.1.57264.1.12": "source_repository_uri",
    "1.3.6.1.4.1.57264.1.13": "source_repository_digest",
    "1.3.6.1.4.1.57264.1.14": "source_repository_ref",
    "1.3.6.1.4.1.57264.1.18": "build_config_uri",
    "1.3.6.1.4.1.57264.1.20": "build_trigger",
    "1.3.6.1.4.1.57264.1.21": "run_invocation_uri",
}
"""Fulcio's v2 extensions (DER UTF8String) kept as evidence; the workflow identity is the SAN."""
MAX_ENTRIES = 4


@dataclass(frozen=True)
class KeylessIdentity:
    issuer: str
    subject: str


@dataclass(frozen=True)
class KeylessVerified:
    identity: KeylessIdentity
    trusted_as: Mapping[str, str]
    """The `keyless_identities` entry that matched."""
    signed_at: datetime
    time_source: str
    """`rekor <url> #<index>` or `timestamp <authority>`."""
    payload_type: str
    payload: bytes
    """The DSSE payload (an in-toto Statement), or the artifact bytes of a message signature."""
    claims: Mapping[str, str] = field(default_factory=dict)
    """Fulcio's other extensions (source repository, build signer, …)."""


def verify_bundle(
    raw: bytes,
    root: TrustRoot,
    identities: Sequence[Mapping[str, str]],
    artifact: bytes | None = None,
) -> KeylessVerified:
    """A keyless bundle verified to a trusted identity. `artifact`: the signed bytes of a
    message-signature bundle (DSSE bundles carry their payload)."""
    bundle = _json(raw)
    media_type = bundle.get("mediaType")
    if media_type not in BUNDLE_TYPES:
        raise SignatureError("UNSUPPORTED_BUNDLE", f"bundle media type {str(media_type)[:100]!r}")
    material = _object(bundle.get("verificationMaterial"), "verificationMaterial")
    leaf, presented = _certificates(material)
    signature, signed, payload_type, payload = _content(bundle, artifact)
    _check_signature(leaf, signature, signed)
    signed_at, time_source = _trusted_time(material, root, leaf, signature, payload)
    _check_chain(leaf, presented, root, signed_at)
    identity = identity_of(leaf)
    matched = match_identity(identity, identities)
    if matched is None:
        who = f"{identity.subject[:200]} (issuer {identity.issuer[:120]})"
        why = f"{who} is not in container.signatures.keyless_identities"
        raise SignatureError("UNTRUSTED_IDENTITY", why)
    return KeylessVerified(identity, matched, signed_at, time_source, payload_type, payload, _claims(leaf))


def identity_of(certificate: x509.Certificate) -> KeylessIdentity:
    """The SAN (URI, else email) and the OIDC issuer of a Fulcio certificate."""
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        raise SignatureError("BAD_SIGNING_CERTIFICATE", "the Fulcio certificate has no subjectAltName") from None
    subjects = names.get_values_for_type(x509.UniformResourceIdentifier) + names.get_values_for_type(x509.RFC822Name)
    if not subjects:
        raise SignatureError("BAD_SIGNING_CERTIFICATE", "the Fulcio certificate names no URI or email identity")
    issuer = _extension_text(certificate, ISSUER_V2, der=True) or _extension_text(certificate, ISSUER_V1, der=False)
    if not issuer:
        raise SignatureError("BAD_SIGNING_CERTIFICATE", "the Fulcio certificate has no OIDC issuer extension")
    return KeylessIdentity(issuer, subjects[0])


def match_identity(identity: KeylessIdentity, identities: Sequence[Mapping[str, str]]) -> Mapping[str, str] | None:
    """The first entry whose issuer equals the certificate's and whose subject glob matches its SAN."""
    for entry in identities:
        if entry.get("issuer") == identity.issuer and glob_match(str(entry.get("subject", "")), identity.subject):
            return entry
    return None


def _content(bundle: Mapping[str, Any], artifact: bytes | None) -> tuple[bytes, bytes, str, bytes]:
    """(signature, signed bytes, payload type, payload)."""
    envelope = bundle.get("dsseEnvelope")
    if isinstance(envelope, dict):
        payload_type = str(envelope.get("payloadType", ""))
        payload = _b64(envelope.get("payload"), "the DSSE payload")
        signatures = envelope.get("signatures")
        if not isinstance(signatures, list) or len(signatures) != 1 or not isinstance(signatures[0], dict):
            raise SignatureError("MALFORMED_BUNDLE", "a keyless DSSE envelope holds exactly one signature")
        return _b64(signatures[0].get("sig"), "the DSSE signature"), pae(payload_type, payload), payload_type, payload
    message = _object(bundle.get("messageSignature"), "dsseEnvelope or messageSignature")
    if artifact is None:
        raise SignatureError("UNSUPPORTED_BUNDLE", "a message-signature bundle needs the signed artifact to verify")
    digest = _object(message.get("messageDigest"), "messageDigest")
    if (
        digest.get("algorithm") != "SHA2_256"
        or _b64(digest.get("digest"), "the digest") != hashlib.sha256(artifact).digest()
    ):
        raise SignatureError("WRONG_SUBJECT", "the message signature's digest is not the artifact's SHA-256")
    return _b64(message.get("signature"), "the message signature"), artifact, "", artifact


def _certificates(material: Mapping[str, Any]) -> tuple[x509.Certificate, list[x509.Certificate]]:
    if "certificate" in material:
        items = [_object(material["certificate"], "certificate")]
    elif "x509CertificateChain" in material:
        items = list(_object(material["x509CertificateChain"], "x509CertificateChain").get("certificates") or [])
    else:
        raise SignatureError("NOT_KEYLESS", "the bundle's verification material is a public key, not a certificate")
    try:
        certificates = [x509.load_der_x509_certificate(_b64(i.get("rawBytes"), "a certificate")) for i in items[:8]]
    except (ValueError, AttributeError):
        raise SignatureError("MALFORMED_BUNDLE", "the bundle holds a certificate that cannot be parsed") from None
    if not certificates:
        raise SignatureError("MALFORMED_BUNDLE", "the bundle's certificate chain is empty")
    return certificates[0], certificates[1:]


def _check_signature(leaf: x509.Certificate, signature: bytes, signed: bytes) -> None:
    key = leaf.public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            digest = hashes.SHA384() if key.curve.key_size == 384 else hashes.SHA256()
            key.verify(signature, signed, ec.ECDSA(digest))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signed, PKCS1v15(), hashes.SHA256())
        else:
            raise SignatureError("UNSUPPORTED_KEY", f"a Fulcio certificate with a {type(key).__name__} key")
    except (InvalidSignature, ValueError):
        raise SignatureError("BAD_SIGNATURE", "the signature does not verify with the Fulcio certificate") from None


def _trusted_time(
    material: Mapping[str, Any], root: TrustRoot, leaf: x509.Certificate, signature: bytes, payload: bytes
) -> tuple[datetime, str]:
    entries = material.get("tlogEntries") or []
    if not isinstance(entries, list) or len(entries) > MAX_ENTRIES:
        raise SignatureError("MALFORMED_BUNDLE", "tlogEntries is not a short list")
    found: tuple[datetime, str] | None = None
    for entry in entries:
        verified = rekor.verify_entry(_object(entry, "a tlog entry"), root)
        _check_body(verified.body, leaf, signature, payload)
        if verified.integrated_time is not None and found is None:
            found = verified.integrated_time, f"rekor {verified.log_url} #{verified.log_index}"
    if found is not None:
        return found
    stamps = _object(material.get("timestampVerificationData") or {}, "timestampVerificationData")
    tsa_roots = [a.chain[-1] for a in root.timestamp_authorities]
    known = [c for a in root.timestamp_authorities for c in a.chain]
    for item in (stamps.get("rfc3161Timestamps") or [])[:MAX_ENTRIES]:
        token = _b64(_object(item, "a timestamp").get("signedTimestamp"), "a signed timestamp")
        stamped = timestamp.verify_timestamp(token, signature, tsa_roots, known)
        authority = next((a for a in root.timestamp_authorities if a.valid.covers(stamped.gen_time)), None)
        if authority is None:
            raise SignatureError(
                "UNTRUSTED_TIMESTAMP", "no timestamp authority of the trust root was valid at its time"
            )
        return stamped.gen_time, f"timestamp {stamped.authority}"
    raise SignatureError("NO_TRUSTED_TIME", "the bundle has no signed entry timestamp and no RFC 3161 timestamp")


def _check_body(body: Mapping[str, Any], leaf: x509.Certificate, signature: bytes, payload: bytes) -> None:
    """The log entry records this signature, by this certificate, over this content."""
    kind, version, spec = body.get("kind"), body.get("apiVersion"), _object(body.get("spec"), "the entry's spec")
    pem = base64.b64encode(leaf.public_bytes(serialization.Encoding.PEM)).decode()
    encoded = base64.b64encode(signature).decode()
    if (kind, version) == ("hashedrekord", "0.0.1"):
        recorded = _object(spec.get("signature"), "signature")
        data_hash = _object(_object(spec.get("data"), "data").get("hash"), "hash")
        same = (
            recorded.get("content") == encoded
            and _object(recorded.get("publicKey"), "publicKey").get("content") == pem
            and data_hash.get("value") == hashlib.sha256(payload).hexdigest()
        )
    elif (kind, version) == ("dsse", "0.0.1"):
        payload_hash = _object(spec.get("payloadHash"), "payloadHash")
        pairs = [(s.get("signature"), s.get("verifier")) for s in spec.get("signatures") or [] if isinstance(s, dict)]
        same = payload_hash.get("value") == hashlib.sha256(payload).hexdigest() and (encoded, pem) in pairs
    else:
        raise SignatureError(
            "UNSUPPORTED_TLOG_ENTRY", f"a {str(kind)[:40]} {str(version)[:20]} log entry is not verified"
        )
    if not same:
        raise SignatureError("BAD_TLOG_ENTRY", "the transparency-log entry records another signature or certificate")


def _check_chain(leaf: x509.Certificate, presented: Sequence[x509.Certificate], root: TrustRoot, at: datetime) -> None:
    authorities = [a for a in root.certificate_authorities if a.valid.covers(at)]
    if not authorities:
        raise SignatureError("UNTRUSTED_ROOT", f"no Fulcio CA of trust root {root.name} was valid at {at.isoformat()}")
    anchors = [a.chain[-1] for a in authorities]
    intermediates = [c for a in authorities for c in a.chain[:-1]] + list(presented)
    verifier = (
        PolicyBuilder()
        .store(Store(anchors))
        .time(at)
        .max_chain_depth(4)
        .extension_policies(ca_policy=_CA_POLICY, ee_policy=_EE_POLICY)
        .build_client_verifier()
    )
    try:
        verifier.verify(leaf, intermediates)
    except VerificationError as error:
        text = str(error)
        code = "UNTRUSTED_ROOT"
        if "validation time" in text:
            code = "CERTIFICATE_NOT_VALID_AT_SIGNING"
        elif "extension validator failed" in text:
            code = "BAD_SIGNING_CERTIFICATE"
        why = f"the Fulcio certificate does not verify under {root.name} at {at.isoformat()}: {text}"
        raise SignatureError(code, why[:400]) from None


def _require_code_signing_usage(_policy: Any, _certificate: x509.Certificate, usage: x509.KeyUsage) -> None:
    if not usage.digital_signature:
        raise ValueError("keyUsage lacks digitalSignature")


def _require_code_signing(_policy: Any, _certificate: x509.Certificate, purposes: x509.ExtendedKeyUsage) -> None:
    if ExtendedKeyUsageOID.CODE_SIGNING not in purposes:
        raise ValueError("extendedKeyUsage lacks codeSigning")


def _require_ca(_policy: Any, _certificate: x509.Certificate, constraints: x509.BasicConstraints) -> None:
    if not constraints.ca:
        raise ValueError("basicConstraints cA is false")


def _require_cert_sign(_policy: Any, _certificate: x509.Certificate, usage: x509.KeyUsage) -> None:
    if not usage.key_cert_sign:
        raise ValueError("keyUsage lacks keyCertSign")


_EE_POLICY = (
    ExtensionPolicy.permit_all()
    .require_present(x509.KeyUsage, Criticality.CRITICAL, _require_code_signing_usage)
    .require_present(x509.ExtendedKeyUsage, Criticality.AGNOSTIC, _require_code_signing)
)
_CA_POLICY = (
    ExtensionPolicy.permit_all()
    .require_present(x509.BasicConstraints, Criticality.CRITICAL, _require_ca)
    .require_present(x509.KeyUsage, Criticality.AGNOSTIC, _require_cert_sign)
)


def _claims(certificate: x509.Certificate) -> dict[str, str]:
    claims = {}
    for dotted, name in FULCIO_EXTENSIONS.items():
        value = _extension_text(certificate, x509.ObjectIdentifier(dotted), der=True)
        if value:
            claims[name] = value[:500]
    return claims


def _extension_text(certificate: x509.Certificate, oid: x509.ObjectIdentifier, *, der: bool) -> str | None:
    """A Fulcio extension's text: a DER UTF8String (v2 extensions) or the raw bytes (legacy ones)."""
    try:
        value = certificate.extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return None
    raw = value.value if isinstance(value, x509.UnrecognizedExtension) else b""
    if der:
        if len(raw) < 2 or raw[0] != 0x0C:
            return None
        length, start = raw[1], 2
        if length & 0x80:
            count = length & 0x7F
            length, start = int.from_bytes(raw[2 : 2 + count], "big"), 2 + count
        raw = raw[start : start + length]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _json(raw: bytes) -> Mapping[str, Any]:
    try:
        document = json.loads(raw)
    except ValueError:
        raise SignatureError("MALFORMED_BUNDLE", "the bundle is not JSON") from None
    if not isinstance(document, dict):
        raise SignatureError("MALFORMED_BUNDLE", "the bundle is not a JSON object")
    return document


def _object(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise SignatureError("MALFORMED_BUNDLE", f"the bundle's {what} is missing or not an object")
    return value


def _b64(value: object, what: str) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("MALFORMED_BUNDLE", f"{what} is not base64") from None

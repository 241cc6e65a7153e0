"""cosign key-based signatures (sigstore/cosign `specs/SIGNATURE_SPEC.md`, `specs/BUNDLE_SPEC.md`).

Two layouts, both verified with the PEM public keys of `container.signatures.cosign_public_keys`:

- legacy (cosign v1/v2): the tag `sha256-<hex>.sig` holds one layer per signature; the layer's blob is
  the simple-signing payload and its annotation `dev.cosignproject.cosign/signature` the base64
  signature over the exact blob bytes. The payload's `critical.type` must be
  `cosign container image signature` and `critical.image.docker-manifest-digest` the image's digest.
- bundle (cosign v3): an OCI 1.1 referrer holding a Sigstore bundle v0.3 whose DSSE envelope
  (`application/vnd.in-toto+json`) is signed over its PAE; the in-toto Statement's predicate must be
  cosign's signature predicate (attestations share the artifact type and are not signatures) and a
  subject's sha256 the image's.

The algorithm comes from the key, never from the signature: ECDSA P-256 with SHA-256 (ASN.1 DER), RSA
PKCS#1 v1.5 with SHA-256, Ed25519. Keyless material (Fulcio certificates) and message-signature bundles
are refused with a reason, never passed. Transparency-log entries are not verified (no Rekor trust root
ships with provenance-guard): a key signature stands on the key alone, as `cosign verify --key
--insecure-ignore-tlog` judges it. Imports `cryptography`: load this module lazily.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from provenance_guard.oci.media_types import COSIGN_SIGN_PREDICATE, SIGSTORE_BUNDLE
from provenance_guard.signatures.dsse import pae
from provenance_guard.signatures.envelope import SignatureError

SIMPLE_SIGNING_TYPE = "cosign container image signature"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
CERTIFICATE_ANNOTATION = "dev.sigstore.cosign/certificate"
BUNDLE_MEDIA_TYPE = SIGSTORE_BUNDLE
IN_TOTO = "application/vnd.in-toto+json"
STATEMENT_TYPES = frozenset({"https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1"})
SIGN_PREDICATE = COSIGN_SIGN_PREDICATE
MAX_DSSE_SIGNATURES = 8
MIN_RSA_BITS = 2048

Verify = Callable[[bytes, bytes], None]


@dataclass(frozen=True)
class CosignKey:
    """A configured public key: where it is in the policy, its identity, and how it verifies."""

    position: int
    identity: str
    """`cosign key sha256:<hex of the SubjectPublicKeyInfo DER>`."""
    algorithm: str
    verify: Verify

    @property
    def policy_entry(self) -> str:
        return f"container.signatures.cosign_public_keys[{self.position}]"


@dataclass(frozen=True)
class CosignVerified:
    key: CosignKey
    layout: str
    """`simple-signing` or `bundle v0.3 dsse`."""


def load_keys(pems: Sequence[str]) -> tuple[list[CosignKey], list[SignatureError]]:
    """The usable keys, and a `BAD_COSIGN_KEY` error for each entry that is not one."""
    keys: list[CosignKey] = []
    errors: list[SignatureError] = []
    for position, pem in enumerate(pems):
        where = f"container.signatures.cosign_public_keys[{position}]"
        try:
            key = serialization.load_pem_public_key(pem.strip().encode())
        except (ValueError, TypeError, UnsupportedAlgorithm) as error:
            why = f"{where} is not a readable PEM public key ({type(error).__name__})"
            errors.append(SignatureError("BAD_COSIGN_KEY", why))
            continue
        try:
            algorithm, verify = _verifier(key)
        except SignatureError as error:
            errors.append(SignatureError(error.code, f"{where}: {error.description}"))
            continue
        spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        keys.append(CosignKey(position, f"cosign key sha256:{hashlib.sha256(spki).hexdigest()}", algorithm, verify))
    return keys, errors


def verify_simple_signing(
    payload: bytes, annotations: Mapping[str, str], digest: str, keys: Sequence[CosignKey]
) -> CosignVerified:
    """A legacy `.sig` layer: its signature over the payload bytes, then what the payload names."""
    if CERTIFICATE_ANNOTATION in annotations:
        raise SignatureError(
            "KEYLESS_NOT_SUPPORTED",
            "a keyless cosign signature (Fulcio certificate): only key-based cosign signatures are verified",
        )
    encoded = annotations.get(SIGNATURE_ANNOTATION)
    if not encoded:
        raise SignatureError("MALFORMED_SIGNATURE", f"the layer has no {SIGNATURE_ANNOTATION} annotation")
    key = _verifying_key(_b64(encoded, "the signature annotation"), payload, keys)
    try:
        document = json.loads(payload)
        critical = document["critical"]
        kind = critical["type"]
        named = critical["image"]["docker-manifest-digest"]
    except (ValueError, KeyError, TypeError):
        raise SignatureError("MALFORMED_PAYLOAD", "the payload is not a cosign simple-signing document") from None
    if kind != SIMPLE_SIGNING_TYPE:
        raise SignatureError("WRONG_PAYLOAD_TYPE", f"critical.type is {str(kind)[:100]!r}, not {SIMPLE_SIGNING_TYPE!r}")
    if named != digest:
        raise SignatureError("WRONG_SUBJECT", f"the signature is for {str(named)[:80]}, not this image")
    return CosignVerified(key, "simple-signing")


def verify_bundle(raw: bytes, digest: str, keys: Sequence[CosignKey]) -> CosignVerified:
    """A Sigstore bundle v0.3 of `cosign sign`: DSSE over an in-toto Statement naming this digest."""
    try:
        bundle = json.loads(raw)
    except ValueError:
        raise SignatureError("MALFORMED_BUNDLE", "the bundle is not JSON") from None
    if not isinstance(bundle, dict):
        raise SignatureError("MALFORMED_BUNDLE", "the bundle is not a JSON object")
    if bundle.get("mediaType") != BUNDLE_MEDIA_TYPE:
        raise SignatureError("UNSUPPORTED_BUNDLE", f"bundle media type {str(bundle.get('mediaType'))[:100]!r}")
    material = bundle.get("verificationMaterial")
    if isinstance(material, dict) and ("certificate" in material or "x509CertificateChain" in material):
        raise SignatureError(
            "KEYLESS_NOT_SUPPORTED",
            "a keyless bundle (certificate verification material): only key-based cosign signatures are verified",
        )
    if "messageSignature" in bundle:
        raise SignatureError(
            "UNSUPPORTED_BUNDLE", "a message-signature bundle (cosign sign-blob), not a DSSE image signature"
        )
    body, key = _dsse(bundle.get("dsseEnvelope"), keys)
    _check_statement(body, digest)
    return CosignVerified(key, "bundle v0.3 dsse")


def _dsse(envelope: object, keys: Sequence[CosignKey]) -> tuple[bytes, CosignKey]:
    """The DSSE envelope's body, once one of its signatures verifies over the PAE with a configured key."""
    if not isinstance(envelope, dict):
        raise SignatureError("MALFORMED_BUNDLE", "the bundle holds no dsseEnvelope")
    payload_type = envelope.get("payloadType")
    if payload_type != IN_TOTO:
        raise SignatureError("MALFORMED_BUNDLE", f"DSSE payload type {str(payload_type)[:100]!r} is not {IN_TOTO}")
    body = _b64(str(envelope.get("payload", "")), "the DSSE payload")
    signatures = envelope.get("signatures")
    if not isinstance(signatures, list) or not signatures:
        raise SignatureError("MALFORMED_BUNDLE", "the DSSE envelope holds no signatures")
    _require_keys(keys)
    signed = pae(IN_TOTO, body)
    for entry in signatures[:MAX_DSSE_SIGNATURES]:
        if not isinstance(entry, dict):
            continue
        try:
            return body, _verifying_key(_b64(str(entry.get("sig", "")), "a DSSE signature"), signed, keys)
        except SignatureError:
            continue
    raise SignatureError("BAD_SIGNATURE", "no DSSE signature verifies with a configured cosign public key")


def _check_statement(body: bytes, digest: str) -> None:
    try:
        statement = json.loads(body)
        statement_type, predicate, subjects = statement["_type"], statement["predicateType"], statement["subject"]
    except (ValueError, KeyError, TypeError):
        raise SignatureError("MALFORMED_PAYLOAD", "the DSSE payload is not an in-toto Statement") from None
    if statement_type not in STATEMENT_TYPES:
        raise SignatureError("MALFORMED_PAYLOAD", f"statement type {str(statement_type)[:100]!r} is not in-toto's")
    if predicate != SIGN_PREDICATE:
        raise SignatureError(
            "NOT_A_SIGNATURE", f"an attestation (predicate {str(predicate)[:200]}), not a cosign signature"
        )
    algorithm, _, hexdigest = digest.partition(":")
    named = [
        s["digest"].get(algorithm)
        for s in (subjects if isinstance(subjects, list) else [])
        if isinstance(s, dict) and isinstance(s.get("digest"), dict)
    ]
    if hexdigest not in named:
        shown = ", ".join(str(n)[:16] for n in named[:3]) or "nothing"
        raise SignatureError("WRONG_SUBJECT", f"the statement's subject is {algorithm}:{shown}…, not this image")


def _require_keys(keys: Sequence[CosignKey]) -> None:
    if not keys:
        raise SignatureError(
            "NO_COSIGN_KEY",
            "a cosign signature is present but container.signatures.cosign_public_keys holds no usable key",
        )


def _verifying_key(signature: bytes, data: bytes, keys: Sequence[CosignKey]) -> CosignKey:
    _require_keys(keys)
    for key in keys:
        try:
            key.verify(signature, data)
        except (InvalidSignature, ValueError):
            continue
        return key
    raise SignatureError("BAD_SIGNATURE", "the signature does not verify with any configured cosign public key")


def _verifier(key: Any) -> tuple[str, Verify]:
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name != "secp256r1":
            raise SignatureError("UNSUPPORTED_KEY", f"EC curve {key.curve.name} (cosign keys are P-256)")

        def verify_ec(signature: bytes, data: bytes) -> None:
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))

        return "ECDSA P-256 SHA-256", verify_ec
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise SignatureError("UNSUPPORTED_KEY", f"RSA {key.key_size} bits (at least {MIN_RSA_BITS})")

        def verify_rsa(signature: bytes, data: bytes) -> None:
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())

        return f"RSA-{key.key_size} PKCS#1 v1.5 SHA-256", verify_rsa
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", key.verify
    raise SignatureError("UNSUPPORTED_KEY", f"{type(key).__name__} (ECDSA P-256, RSA or Ed25519 only)")


def _b64(value: str, what: str) -> bytes:
    """Standard base64 (what cosign writes); the URL-safe alphabet too (protobuf JSON accepts both)."""
    try:
        if "-" in value or "_" in value:
            return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("MALFORMED_SIGNATURE", f"{what} is not base64") from None

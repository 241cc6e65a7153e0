"""Test-side cosign signer: real keys made with `cryptography`, signatures in cosign's two layouts, pushed
to the real docker-registry on loopback.

- legacy: a simple-signing payload per layer of the manifest tagged `sha256-<hex>.sig`, the base64
  signature in the layer annotation `dev.cosignproject.cosign/signature` (what cosign v1/v2 write);
- v3 bundle: a Sigstore bundle v0.3 holding a DSSE envelope of an in-toto Statement, in an OCI 1.1
  referrer manifest (artifactType `application/vnd.dev.sigstore.bundle.v0.3+json`), listed in the
  referrers tag-schema index `sha256-<hex>` (docker-registry 2.8 has no referrers API), as cosign does
  on such registries. The index is read back and extended, so Notation referrers already listed stay.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from provenance_guard.oci.manifest import OCI_CONFIG, OCI_EMPTY, OCI_MANIFEST
from provenance_guard_cli.local_registry import Pushed, RegistryPusher
from provenance_guard_cli.notation import add_referrer

SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
IN_TOTO = "application/vnd.in-toto+json"
SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1"
SLSA_PREDICATE = "https://slsa.dev/provenance/v1"
IMAGE_TYPE = "cosign container image signature"
EMPTY = b"{}"


def ecdsa_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())  # what `cosign generate-key-pair` makes


def public_pem(key: Any) -> str:
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return str(public.decode())


def key_identity(key: Any) -> str:
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return f"cosign key sha256:{hashlib.sha256(der).hexdigest()}"


def sign(key: Any, data: bytes) -> bytes:
    """cosign's signature for the key type: ECDSA SHA-256 (ASN.1 DER), RSA PKCS#1 v1.5 SHA-256, Ed25519."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    return key.sign(data)


def simple_signing(digest: str, *, kind: str = IMAGE_TYPE, reference: str = "registry.example/team/app") -> bytes:
    """The payload cosign signs (compact JSON, as cosign writes it)."""
    document = {
        "critical": {
            "identity": {"docker-reference": reference},
            "image": {"docker-manifest-digest": digest},
            "type": kind,
        },
        "optional": None,
    }
    return json.dumps(document, separators=(",", ":")).encode()


def layer(key: Any, payload: bytes, *, signed: bytes | None = None, **annotations: str) -> tuple[bytes, dict[str, str]]:
    """One `.sig` layer: `payload` as pushed, signed over `signed` (default: the payload itself)."""
    signature = base64.b64encode(sign(key, payload if signed is None else signed)).decode()
    return payload, {SIGNATURE_ANNOTATION: signature, **annotations}


def push_legacy(
    pusher: RegistryPusher, repository: str, subject: str, layers: list[tuple[bytes, dict[str, str]]]
) -> Pushed:
    """The `sha256-<hex>.sig` manifest of `subject` with one layer per signature (replacing any before)."""
    descriptors = [
        {"mediaType": SIMPLE_SIGNING, "digest": pusher.blob(repository, p), "size": len(p), "annotations": a}
        for p, a in layers
    ]
    config = json.dumps(
        {
            "architecture": "",
            "config": {},
            "created": "0001-01-01T00:00:00Z",
            "history": [{"created": "0001-01-01T00:00:00Z"}],
            "os": "",
            "rootfs": {"type": "layers", "diff_ids": [d["digest"] for d in descriptors]},
        },
        separators=(",", ":"),
    ).encode()
    document = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": pusher.blob(repository, config), "size": len(config)},
        "layers": descriptors,
    }
    algorithm, _, encoded = subject.partition(":")
    return pusher.manifest(repository, document, f"{algorithm}-{encoded}.sig")


def statement(digest: str, predicate_type: str = SIGN_PREDICATE) -> dict[str, Any]:
    algorithm, _, encoded = digest.partition(":")
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "registry.example/team/app", "digest": {algorithm: encoded}}],
        "predicateType": predicate_type,
        "predicate": {},
    }


def pae(payload_type: str, body: bytes) -> bytes:
    return b"DSSEv1 %d %b %d %b" % (len(payload_type), payload_type.encode(), len(body), body)


def dsse_bundle(key: Any, the_statement: dict[str, Any], *, tamper: bool = False, **material: Any) -> bytes:
    """A Sigstore bundle v0.3 with a DSSE envelope signed by `key` (`tamper`: the body changed afterwards)."""
    body = json.dumps(the_statement, separators=(",", ":")).encode()
    signature = sign(key, pae(IN_TOTO, body))
    if tamper:
        body = json.dumps({**the_statement, "predicate": {"changed": True}}, separators=(",", ":")).encode()
    hint = base64.b64encode(hashlib.sha256(public_pem(key).encode()).digest()).decode()
    bundle = {
        "mediaType": BUNDLE,
        "verificationMaterial": material or {"publicKey": {"hint": hint}, "tlogEntries": []},
        "dsseEnvelope": {
            "payload": base64.b64encode(body).decode(),
            "payloadType": IN_TOTO,
            "signatures": [{"sig": base64.b64encode(signature).decode(), "keyid": ""}],
        },
    }
    return json.dumps(bundle).encode()


def push_bundle(
    pusher: RegistryPusher, repository: str, subject: Pushed, bundle: bytes, predicate_type: str = SIGN_PREDICATE
) -> Pushed:
    """A cosign v3 bundle referrer of `subject`, added to the subject's referrers tag-schema index."""
    pusher.blob(repository, EMPTY)
    annotations = {"dev.sigstore.bundle.content": "dsse-envelope", "dev.sigstore.bundle.predicateType": predicate_type}
    document = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": BUNDLE,
        "config": {"mediaType": OCI_EMPTY, "digest": pusher.blob(repository, EMPTY), "size": len(EMPTY)},
        "layers": [{"mediaType": BUNDLE, "digest": pusher.blob(repository, bundle), "size": len(bundle)}],
        "subject": {"mediaType": subject.media_type, "digest": subject.digest, "size": subject.size},
        "annotations": annotations,
    }
    pushed = pusher.manifest(repository, document)
    add_referrer(pusher, repository, subject.digest, pushed, BUNDLE, annotations)
    return pushed

"""A test Sigstore instance made with `cryptography`: a Fulcio CA (root and intermediate), a Rekor log key
(ECDSA P-256) with a real Merkle tree, signed entry timestamps and checkpoints, a trust root in
Sigstore's `trusted_root.json` format, and keyless bundles (DSSE v0.3 like GitHub artifact attestations,
message signatures, v0.1 and v0.2 media types)."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from provenance_guard.signatures.dsse import pae
from tests.unit.signatures.pki import Cert, key, make, usage
from tests.unit.signing_support import NOW

GITHUB = "https://token.actions.githubusercontent.com"
WORKFLOW = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"
IN_TOTO = "application/vnd.in-toto+json"
V03 = "application/vnd.dev.sigstore.bundle.v0.3+json"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def utf8_der(text: str) -> bytes:
    raw = text.encode()
    assert len(raw) < 128
    return bytes([0x0C, len(raw)]) + raw


def tree_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 Merkle tree hash of leaf hashes."""
    if len(leaves) == 1:
        return leaves[0]
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + tree_root(leaves[:split]) + tree_root(leaves[split:])).digest()


def audit_path(index: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    if index < split:
        return [*audit_path(index, leaves[:split]), tree_root(leaves[split:])]
    return [*audit_path(index - split, leaves[split:]), tree_root(leaves[:split])]


@dataclass
class Instance:
    root: Cert
    intermediate: Cert
    log_key: Any = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    origin: str = "rekor.test - 42"

    @property
    def log_id(self) -> bytes:
        spki = self.log_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return hashlib.sha256(spki).digest()

    def trusted_root(self, tsa: list[Cert] | None = None, ca_start: datetime = NOW - timedelta(days=365)) -> str:
        spki = self.log_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        document: dict[str, Any] = {
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [
                {
                    "baseUrl": "https://rekor.test",
                    "hashAlgorithm": "SHA2_256",
                    "publicKey": {
                        "rawBytes": b64(spki),
                        "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                        "validFor": {"start": "2021-01-01T00:00:00Z"},
                    },
                    "logId": {"keyId": b64(self.log_id)},
                }
            ],
            "certificateAuthorities": [
                {
                    "subject": {"organization": "test", "commonName": "fulcio"},
                    "uri": "https://fulcio.test",
                    "certChain": {"certificates": [{"rawBytes": b64(c.der)} for c in (self.intermediate, self.root)]},
                    "validFor": {"start": ca_start.isoformat().replace("+00:00", "Z")},
                }
            ],
            "ctlogs": [],
            "timestampAuthorities": [],
        }
        if tsa:
            document["timestampAuthorities"] = [
                {
                    "subject": {"organization": "test", "commonName": "tsa"},
                    "uri": "https://tsa.test",
                    "certChain": {"certificates": [{"rawBytes": b64(c.der)} for c in tsa]},
                    "validFor": {"start": "2021-01-01T00:00:00Z"},
                }
            ]
        return json.dumps(document)

    def fulcio_leaf(
        self,
        subject: str = WORKFLOW,
        issuer: str = GITHUB,
        *,
        legacy_issuer: bool = False,
        not_before: datetime = NOW - timedelta(minutes=5),
        extended_key_usage: Any = None,
        signer_key: Any = None,
    ) -> Cert:
        """A Fulcio-shaped certificate, valid ten minutes, for a workflow identity."""
        san = x509.UniformResourceIdentifier(subject) if "://" in subject else x509.RFC822Name(subject)
        if legacy_issuer:
            issuer_ext = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1"), issuer.encode())
        else:
            issuer_ext = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8"), utf8_der(issuer))
        repository = x509.UnrecognizedExtension(
            x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.12"), utf8_der("https://github.com/acme/app")
        )
        return make(
            "sigstore leaf",
            self.intermediate,
            ca=False,
            private_key=signer_key or key("p256-fulcio-leaf"),
            not_before=not_before,
            not_after=not_before + timedelta(minutes=10),
            basic_constraints=None,
            key_usage=(usage(digital_signature=True), True),
            extended_key_usage=extended_key_usage or (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False),
            extra=((x509.SubjectAlternativeName([san]), True), (issuer_ext, False), (repository, False)),
        )

    def entry(
        self,
        body: dict[str, Any],
        integrated: datetime,
        *,
        promise: bool = True,
        proof: bool = True,
        index: int = 5,
        size: int = 11,
        tamper_checkpoint: bool = False,
    ) -> dict[str, Any]:
        """A tlog entry for `body`: the log holds `size` entries, this one at `index`."""
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        encoded = b64(canonical)
        entry: dict[str, Any] = {
            "logIndex": str(index),
            "logId": {"keyId": b64(self.log_id)},
            "kindVersion": {"kind": body["kind"], "version": body["apiVersion"]},
            "integratedTime": str(int(integrated.timestamp())),
            "canonicalizedBody": encoded,
        }
        if promise:
            payload = json.dumps(
                {
                    "body": encoded,
                    "integratedTime": int(integrated.timestamp()),
                    "logID": self.log_id.hex(),
                    "logIndex": index,
                },
                sort_keys=True,
                separators=(",", ":"),
            ).encode()
            entry["inclusionPromise"] = {
                "signedEntryTimestamp": b64(self.log_key.sign(payload, ec.ECDSA(hashes.SHA256())))
            }
        if proof:
            leaves = [hashlib.sha256(b"\x00" + f"entry {i}".encode()).digest() for i in range(size)]
            leaves[index] = hashlib.sha256(b"\x00" + canonical).digest()
            root_hash = tree_root(leaves)
            text = f"{self.origin}\n{size + (1 if tamper_checkpoint else 0)}\n{b64(root_hash)}\n"
            signature = self.log_key.sign(text.encode(), ec.ECDSA(hashes.SHA256()))
            note = f"{text}\n\u2014 {self.origin.split(' ')[0]} {b64(self.log_id[:4] + signature)}\n"
            entry["inclusionProof"] = {
                "logIndex": str(index),
                "rootHash": b64(root_hash),
                "treeSize": str(size),
                "hashes": [b64(h) for h in audit_path(index, leaves)],
                "checkpoint": {"envelope": note},
            }
        return entry


def instance() -> Instance:
    root = make("sigstore", None, ca=True, private_key=key("p384-fulcio-root"), not_before=NOW - timedelta(days=3650))
    intermediate = make(
        "sigstore-intermediate",
        root,
        ca=True,
        private_key=key("p384-fulcio-intermediate"),
        not_before=NOW - timedelta(days=3650),
        basic_constraints=(x509.BasicConstraints(ca=True, path_length=0), True),
        extended_key_usage=(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False),
    )
    return Instance(root, intermediate)


def statement(digest: str, predicate_type: str = "https://slsa.dev/provenance/v1", predicate: Any = None) -> bytes:
    subject = [{"name": "app", "digest": {"sha256": digest.partition(":")[2]}}]
    return json.dumps(
        {
            "_type": "https://in-toto.io/Statement/v1",
            "subject": subject,
            "predicateType": predicate_type,
            "predicate": predicate or {},
        }
    ).encode()


def dsse_body(leaf: Cert, payload: bytes, signature: bytes) -> dict[str, Any]:
    return {
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": "0" * 64},
            "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
            "signatures": [{"signature": b64(signature), "verifier": b64(leaf.pem.encode())}],
        },
    }


def hashedrekord_body(leaf: Cert, artifact: bytes, signature: bytes) -> dict[str, Any]:
    return {
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hashlib.sha256(artifact).hexdigest()}},
            "signature": {"content": b64(signature), "publicKey": {"content": b64(leaf.pem.encode())}},
        },
    }


def dsse_bundle(
    sigstore: Instance,
    leaf: Cert,
    payload: bytes,
    *,
    media_type: str = V03,
    integrated: datetime = NOW - timedelta(minutes=4),
    entry_options: dict[str, Any] | None = None,
    tlog: bool = True,
    timestamps: list[bytes] = (),  # type: ignore[assignment]
    body: dict[str, Any] | None = None,
    signed_payload: bytes | None = None,
) -> bytes:
    """A keyless DSSE bundle (as GitHub's attest action writes: v0.3, `certificate`, a dsse tlog entry)."""
    signature = leaf.key.sign(pae(IN_TOTO, signed_payload or payload), ec.ECDSA(hashes.SHA256()))
    material: dict[str, Any] = {}
    if media_type == V03:
        material["certificate"] = {"rawBytes": b64(leaf.der)}
    else:
        material["x509CertificateChain"] = {"certificates": [{"rawBytes": b64(leaf.der)}]}
    if tlog:
        entry_body = body or dsse_body(leaf, payload, signature)
        material["tlogEntries"] = [sigstore.entry(entry_body, integrated, **(entry_options or {}))]
    if timestamps:
        material["timestampVerificationData"] = {"rfc3161Timestamps": [{"signedTimestamp": b64(t)} for t in timestamps]}
    envelope = {"payload": b64(payload), "payloadType": IN_TOTO, "signatures": [{"sig": b64(signature), "keyid": ""}]}
    return json.dumps({"mediaType": media_type, "verificationMaterial": material, "dsseEnvelope": envelope}).encode()


def message_bundle(
    sigstore: Instance, leaf: Cert, artifact: bytes, integrated: datetime = NOW - timedelta(minutes=4)
) -> bytes:
    signature = leaf.key.sign(artifact, ec.ECDSA(hashes.SHA256()))
    material = {
        "x509CertificateChain": {"certificates": [{"rawBytes": b64(leaf.der)}]},
        "tlogEntries": [sigstore.entry(hashedrekord_body(leaf, artifact, signature), integrated, proof=False)],
    }
    message = {
        "messageDigest": {"algorithm": "SHA2_256", "digest": b64(hashlib.sha256(artifact).digest())},
        "signature": b64(signature),
    }
    bundle = {
        "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "verificationMaterial": material,
        "messageSignature": message,
    }
    return json.dumps(bundle).encode()

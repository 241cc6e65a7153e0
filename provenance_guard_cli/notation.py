"""Notation signatures for the demo and the tests: an image signed by the (emulated) AWS Signer through
`signer:SignPayload`, as AWS Signer's notation plugin does, pushed as an OCI 1.1 signature manifest
with the referrers tag-schema index kept current (docker-registry 2.8 has no referrers API, so a writer
maintains the `sha256-<hex>` index, as Notation does)."""

from __future__ import annotations

import json
import urllib.error
from typing import Any

from provenance_guard.oci.manifest import OCI_EMPTY, OCI_INDEX, OCI_MANIFEST
from provenance_guard_cli.local_registry import Pushed, RegistryPusher

NOTATION_SIGNATURE = "application/vnd.cncf.notary.signature"
NOTATION_PAYLOAD = "application/vnd.cncf.notary.payload.v1+json"
JWS = "application/jose+json"
EMPTY = b"{}"


def descriptor(pushed: Pushed) -> dict[str, Any]:
    return {"mediaType": pushed.media_type, "digest": pushed.digest, "size": pushed.size}


def aws_signer_envelope(signer: Any, profile_name: str, subject: Pushed) -> bytes:
    """`SignPayload` over Notation's payload for `subject`: the JWS envelope AWS Signer returns."""
    payload = json.dumps({"targetArtifact": descriptor(subject)}).encode()
    response = signer.sign_payload(profileName=profile_name, payload=payload, payloadFormat=NOTATION_PAYLOAD)
    envelope: bytes = response["signature"]
    return envelope


def push_notation_signature(
    pusher: RegistryPusher, repository: str, subject: Pushed, envelope: bytes, envelope_type: str = JWS
) -> Pushed:
    """Push a Notation signature manifest whose subject is `subject`, and list it in the referrers index."""
    layer = {"mediaType": envelope_type, "digest": pusher.blob(repository, envelope), "size": len(envelope)}
    document = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": NOTATION_SIGNATURE,
        "config": {"mediaType": OCI_EMPTY, "digest": pusher.blob(repository, EMPTY), "size": len(EMPTY)},
        "layers": [layer],
        "subject": descriptor(subject),
        "annotations": {"io.cncf.notary.x509chain.thumbprint#S256": "[]"},
    }
    pushed = pusher.manifest(repository, document)
    add_referrer(pusher, repository, subject.digest, pushed, NOTATION_SIGNATURE)
    return pushed


def add_referrer(
    pusher: RegistryPusher,
    repository: str,
    subject: str,
    referrer: Pushed,
    artifact_type: str,
    annotations: dict[str, str] | None = None,
) -> None:
    """Add `referrer` to the referrers tag-schema index of `subject` (read back from the registry, so
    referrers of other formats already listed stay)."""
    algorithm, _, encoded = subject.partition(":")
    tag = f"{algorithm}-{encoded}"
    try:
        entries = list(json.loads(pusher.get(f"/v2/{repository}/manifests/{tag}", OCI_INDEX)).get("manifests", []))
    except urllib.error.HTTPError as error:
        if error.code != 404:
            raise
        entries = []
    entry: dict[str, Any] = {**descriptor(referrer), "artifactType": artifact_type}
    entries.append({**entry, "annotations": dict(annotations)} if annotations else entry)
    pusher.manifest(repository, {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}, tag)

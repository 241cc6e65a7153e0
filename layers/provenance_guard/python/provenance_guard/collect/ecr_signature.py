"""Reads the Notation signatures attached to an image digest (PG.ECR.3) through the OCI data path.

Only bytes are gathered here, bounded and digest-checked (the reader re-hashes every manifest and blob);
the cryptography runs in the control (`provenance_guard.signatures`), so collecting an image never
imports `cryptography` unless a signature is judged.
"""

from __future__ import annotations

from dataclasses import dataclass

from provenance_guard.oci.manifest import ManifestError
from provenance_guard.oci.registry import RegistryError, RegistryReader

NOTATION_SIGNATURE = "application/vnd.cncf.notary.signature"
JWS_ENVELOPE = "application/jose+json"
COSE_ENVELOPE = "application/cose"
MAX_CANDIDATES = 10
"""Signatures judged per image (Notation bounds this too); later ones are ignored, and counted."""
MAX_ENVELOPE_BYTES = 256 * 1024


@dataclass(frozen=True)
class SignatureCandidate:
    """One signature manifest: its envelope bytes, or why they could not be read."""

    manifest_digest: str
    envelope_type: str
    envelope: bytes | None
    error: str | None = None


@dataclass(frozen=True)
class SignatureSet:
    candidates: tuple[SignatureCandidate, ...] = ()
    ignored: int = 0
    """Signature manifests beyond MAX_CANDIDATES."""
    error: str | None = None
    """Why the referrers could not be listed (then nothing is known about the signatures)."""


def read_signatures(reader: RegistryReader, repository: str, digest: str) -> SignatureSet:
    """The Notation signature manifests whose subject is `digest` (referrers API, or its tag schema)."""
    try:
        referrers = reader.referrers(repository, digest)
    except (RegistryError, ManifestError) as error:
        return SignatureSet(error=str(error)[:300])
    signatures = [d for d in referrers if d.artifact_type == NOTATION_SIGNATURE]
    signatures.sort(key=lambda d: d.digest)  # stable evidence whatever order the registry lists them in
    chosen = signatures[:MAX_CANDIDATES]
    return SignatureSet(
        tuple(_candidate(reader, repository, digest, d.digest) for d in chosen), len(signatures) - len(chosen)
    )


def _candidate(reader: RegistryReader, repository: str, subject: str, digest: str) -> SignatureCandidate:
    try:
        manifest = reader.manifest(repository, digest)
        if manifest.subject is None or manifest.subject.digest != subject:
            return SignatureCandidate(digest, "-", None, "its subject is not this image")
        layers = manifest.layers
        if len(layers) != 1:
            return SignatureCandidate(digest, "-", None, f"has {len(layers)} layers, a signature has exactly one")
        layer = layers[0]
        if layer.media_type not in (JWS_ENVELOPE, COSE_ENVELOPE):
            return SignatureCandidate(digest, layer.media_type, None, "the envelope type is not JWS or COSE")
        if layer.size > MAX_ENVELOPE_BYTES:
            return SignatureCandidate(
                digest, layer.media_type, None, f"the envelope is over {MAX_ENVELOPE_BYTES} bytes"
            )
        envelope = reader.blob(repository, layer.digest, MAX_ENVELOPE_BYTES)
        return SignatureCandidate(digest, layer.media_type, envelope)
    except (RegistryError, ManifestError) as error:
        return SignatureCandidate(digest, "-", None, f"unreadable: {str(error)[:200]}")

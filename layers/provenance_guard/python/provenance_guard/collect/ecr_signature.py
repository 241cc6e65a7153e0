"""Reads the Notation and cosign signatures attached to an image digest (PG.ECR.3) through the OCI data path.

Only bytes are gathered here, bounded and digest-checked (the reader re-hashes every manifest and blob);
the cryptography runs in the control (`provenance_guard.signatures`), so collecting an image never
imports `cryptography` unless a signature is judged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from provenance_guard.oci.manifest import Descriptor, Manifest, ManifestError
from provenance_guard.oci.media_types import (
    BUNDLE_PREDICATE_ANNOTATION,
    COSE_ENVELOPE,
    COSIGN_SIGN_PREDICATE,
    COSIGN_SIMPLE_SIGNING,
    DSSE_ENVELOPE,
    JWS_ENVELOPE,
    NOTATION_SIGNATURE,
    SIGSTORE_BUNDLE,
)
from provenance_guard.oci.registry import NotFoundError, RegistryError, RegistryReader

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
    cosign: tuple[CosignCandidate, ...] = ()
    """cosign signatures: the layers of the legacy `sha256-<hex>.sig` tag, then v3 bundle referrers."""


def read_signatures(reader: RegistryReader, repository: str, digest: str) -> SignatureSet:
    """The Notation signature manifests whose subject is `digest` (referrers API, or its tag schema)."""
    try:
        referrers = reader.referrers(repository, digest)
    except (RegistryError, ManifestError) as error:
        return SignatureSet(error=str(error)[:300])
    signatures = [d for d in referrers if d.artifact_type == NOTATION_SIGNATURE]
    signatures.sort(key=lambda d: d.digest)  # stable evidence whatever order the registry lists them in
    chosen = signatures[:MAX_CANDIDATES]
    cosign, cosign_ignored = read_cosign(reader, repository, digest, referrers)
    return SignatureSet(
        tuple(_candidate(reader, repository, digest, d.digest) for d in chosen),
        len(signatures) - len(chosen) + cosign_ignored,
        cosign=cosign,
    )


def _candidate(reader: RegistryReader, repository: str, subject: str, digest: str) -> SignatureCandidate:
    layer = _single_layer(reader, repository, subject, digest, "a signature")
    if isinstance(layer, str):
        return SignatureCandidate(digest, "-", None, layer)
    if layer.media_type not in (JWS_ENVELOPE, COSE_ENVELOPE):
        return SignatureCandidate(digest, layer.media_type, None, "the envelope type is not JWS or COSE")
    if layer.size > MAX_ENVELOPE_BYTES:
        return SignatureCandidate(digest, layer.media_type, None, f"the envelope is over {MAX_ENVELOPE_BYTES} bytes")
    try:
        envelope = reader.blob(repository, layer.digest, MAX_ENVELOPE_BYTES)
    except RegistryError as error:
        return SignatureCandidate(digest, layer.media_type, None, f"unreadable: {str(error)[:200]}")
    return SignatureCandidate(digest, layer.media_type, envelope)


def _single_layer(reader: RegistryReader, repository: str, subject: str, digest: str, what: str) -> Descriptor | str:
    """The one layer of the referrer `digest` of `subject` (a signature envelope or a bundle), or why not."""
    try:
        manifest = reader.manifest(repository, digest)
    except RegistryError as error:
        return f"unreadable: {str(error)[:200]}"
    if manifest.subject is None or manifest.subject.digest != subject:
        return "its subject is not this image"
    if len(manifest.layers) != 1:
        return f"has {len(manifest.layers)} layers, {what} has exactly one"
    return manifest.layers[0]


MAX_COSIGN_CANDIDATES = 10
"""cosign signatures judged per image (legacy layers and bundles together); later ones are counted only."""
MAX_COSIGN_BLOB_BYTES = 256 * 1024
"""A simple-signing payload or a Sigstore bundle (a few kB; a bundle with a certificate chain ~10 kB)."""


@dataclass(frozen=True)
class CosignCandidate:
    """One cosign signature: a legacy `.sig` layer (payload + annotations) or a bundle referrer."""

    manifest_digest: str
    layout: str
    """`simple-signing` (legacy `.sig` layer) or `bundle` (v3 Sigstore bundle referrer)."""
    label: str
    """How reasons name it: `sha256:<12 hex> layer <n>` or the bundle manifest's short digest."""
    blob: bytes | None
    annotations: Mapping[str, str] = field(default_factory=dict)
    """The layer's annotations (a legacy layer's base64 signature is one)."""
    error: str | None = None


COSIGN_LEGACY_LAYERS = frozenset({COSIGN_SIMPLE_SIGNING, DSSE_ENVELOPE})
"""Layers of cosign's legacy `.sig` (simple signing) and `.att` (DSSE attestation) manifests."""


def is_cosign_signature(manifest: Manifest) -> bool:
    """A legacy cosign `.sig` (or `.att`) manifest: an image manifest whose every layer is a signature
    payload or an attestation (it has an ordinary config, so `artifact_type` does not tell it from an image)."""
    layers = manifest.layers
    return bool(layers) and all(layer.media_type in COSIGN_LEGACY_LAYERS for layer in layers)


def read_cosign(
    reader: RegistryReader, repository: str, digest: str, referrers: list[Descriptor]
) -> tuple[tuple[CosignCandidate, ...], int]:
    """The cosign candidates of `digest` (at most MAX_COSIGN_CANDIDATES) and how many more were left out."""
    found, left_out = _legacy(reader, repository, digest)
    bundles = [d for d in referrers if d.artifact_type == SIGSTORE_BUNDLE]
    # signatures before attestations (the annotation is unsigned: it only orders, the verifier decides)
    bundles.sort(key=lambda d: (d.annotations.get(BUNDLE_PREDICATE_ANNOTATION) != COSIGN_SIGN_PREDICATE, d.digest))
    chosen = bundles[: MAX_COSIGN_CANDIDATES - len(found)]
    found.extend(_bundle(reader, repository, digest, d.digest) for d in chosen)
    return tuple(found), left_out + len(bundles) - len(chosen)


def _legacy(reader: RegistryReader, repository: str, digest: str) -> tuple[list[CosignCandidate], int]:
    """The layers of the `sha256-<hex>.sig` tag (at most MAX_COSIGN_CANDIDATES), and how many more it has."""
    algorithm, _, encoded = digest.partition(":")
    tag = f"{algorithm}-{encoded}.sig"
    try:
        manifest = reader.manifest(repository, tag)  # the tag is resolved once; its digest is verified
    except NotFoundError:
        return [], 0
    except (RegistryError, ManifestError) as error:
        unreadable = CosignCandidate(
            tag, "simple-signing", f"{tag[:19]}….sig", None, error=f"unreadable: {error}"[:300]
        )
        return [unreadable], 0
    short, layers = manifest.digest[:19], manifest.layers
    if not layers:
        return [
            CosignCandidate(manifest.digest, "simple-signing", short, None, error="the .sig manifest has no layers")
        ], 0
    candidates = [
        _blob_candidate(
            reader, repository, manifest.digest, "simple-signing", f"{short} layer {n}", layer, COSIGN_SIMPLE_SIGNING
        )
        for n, layer in enumerate(layers[:MAX_COSIGN_CANDIDATES], start=1)
    ]
    return candidates, len(layers) - len(candidates)


def _bundle(reader: RegistryReader, repository: str, subject: str, digest: str) -> CosignCandidate:
    short = digest[:19]
    layer = _single_layer(reader, repository, subject, digest, "a bundle referrer")
    if isinstance(layer, str):
        return CosignCandidate(digest, "bundle", short, None, error=layer)
    return _blob_candidate(reader, repository, digest, "bundle", short, layer, SIGSTORE_BUNDLE)


def _blob_candidate(
    reader: RegistryReader, repository: str, digest: str, layout: str, label: str, layer: Descriptor, expected: str
) -> CosignCandidate:
    if layer.media_type != expected:
        why = f"layer media type {layer.media_type[:100]} is not {expected}"
        return CosignCandidate(digest, layout, label, None, layer.annotations, why)
    if layer.size > MAX_COSIGN_BLOB_BYTES:
        why = f"the {layout} blob is over {MAX_COSIGN_BLOB_BYTES} bytes"
        return CosignCandidate(digest, layout, label, None, layer.annotations, why)
    try:
        blob = reader.blob(repository, layer.digest, MAX_COSIGN_BLOB_BYTES)
    except (RegistryError, ManifestError) as error:
        return CosignCandidate(digest, layout, label, None, layer.annotations, f"unreadable: {str(error)[:200]}")
    return CosignCandidate(digest, layout, label, blob, layer.annotations)

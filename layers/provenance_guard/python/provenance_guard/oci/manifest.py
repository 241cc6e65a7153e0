"""OCI and Docker manifest documents: media types, descriptors, and what an image records about itself."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"

INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
MANIFEST_TYPES = (OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST)
IMAGE_CONFIG_TYPES = frozenset({OCI_CONFIG, DOCKER_CONFIG})

BASE_NAME = "org.opencontainers.image.base.name"
BASE_DIGEST = "org.opencontainers.image.base.digest"

DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")
"""The OCI image-spec digest grammar (`algorithm:encoded`)."""
SHA256 = re.compile(r"^sha256:[a-f0-9]{64}$")


class ManifestError(ValueError):
    """A document is not the manifest, index or config it claims to be."""


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    artifact_type: str | None = None
    platform: str | None = None
    """`os/architecture[/variant]` for an index entry."""
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Manifest:
    """A manifest or index as served, verified against its digest."""

    digest: str
    media_type: str
    raw: bytes
    document: Mapping[str, Any]

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES

    @property
    def annotations(self) -> Mapping[str, str]:
        return _strings(self.document.get("annotations"))

    @property
    def artifact_type(self) -> str | None:
        """OCI 1.1 `artifactType`, or a non-image config media type (signatures, SBOMs, ...)."""
        declared = self.document.get("artifactType")
        if isinstance(declared, str) and declared:
            return declared
        config = self.config
        if config is not None and config.media_type not in IMAGE_CONFIG_TYPES:
            return config.media_type
        return None

    @cached_property
    def subject(self) -> Descriptor | None:
        return _descriptor(self.document["subject"]) if isinstance(self.document.get("subject"), Mapping) else None

    @cached_property
    def config(self) -> Descriptor | None:
        value = self.document.get("config")
        return _descriptor(value) if not self.is_index and isinstance(value, Mapping) else None

    @cached_property
    def layers(self) -> tuple[Descriptor, ...]:
        """An image manifest's layers (a signature manifest's envelope is its one layer)."""
        entries = None if self.is_index else self.document.get("layers")
        return tuple(_descriptor(e) for e in entries if isinstance(e, Mapping)) if isinstance(entries, list) else ()

    @cached_property
    def manifests(self) -> tuple[Descriptor, ...]:
        """An index's entries (empty for an image manifest)."""
        entries = self.document.get("manifests") if self.is_index else None
        return tuple(_descriptor(e) for e in entries if isinstance(e, Mapping)) if isinstance(entries, list) else ()


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def verify_digest(data: bytes, digest: str) -> None:
    """Raise `ManifestError` unless `data` hashes to `digest` (sha256 only, as ECR serves)."""
    algorithm, _, expected = digest.partition(":")
    if algorithm != "sha256":
        raise ManifestError(f"unsupported digest algorithm in {digest!r}")
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ManifestError(f"content hashes to sha256:{actual}, not {digest}")


def parse_manifest(raw: bytes, digest: str, served_media_type: str | None) -> Manifest:
    """Parse a verified manifest or index; the document's own `mediaType` wins over the header."""
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ManifestError(f"manifest {digest} is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise ManifestError(f"manifest {digest} is not a JSON object")
    media_type = document.get("mediaType") or served_media_type or ""
    if not isinstance(media_type, str) or media_type not in MANIFEST_TYPES:
        raise ManifestError(f"manifest {digest} has an unsupported media type {media_type!r}")
    manifest = Manifest(digest=digest, media_type=media_type, raw=raw, document=document)
    for descriptors in ("subject", "config", "layers", "manifests"):
        getattr(manifest, descriptors)  # parsed (and cached) now: a bad descriptor is a bad manifest
    return manifest


def image_config_labels(raw: bytes) -> Mapping[str, str]:
    """`config.Labels` of an image configuration blob."""
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ManifestError(f"image configuration is not JSON: {error}") from None
    config = document.get("config") if isinstance(document, Mapping) else None
    return _strings(config.get("Labels")) if isinstance(config, Mapping) else {}


def _descriptor(value: Mapping[str, Any]) -> Descriptor:
    digest, media_type, size = value.get("digest"), value.get("mediaType"), value.get("size")
    if not isinstance(digest, str) or not DIGEST.match(digest):
        raise ManifestError(f"descriptor digest {digest!r} is not a digest")
    if not isinstance(media_type, str) or not isinstance(size, int) or size < 0:
        raise ManifestError(f"descriptor {digest} has no media type or size")
    platform = value.get("platform")
    platform_name = None
    if isinstance(platform, Mapping) and platform.get("os") and platform.get("architecture"):
        parts = [str(platform["os"]), str(platform["architecture"])]
        if platform.get("variant"):
            parts.append(str(platform["variant"]))
        platform_name = "/".join(parts)
    artifact_type = value.get("artifactType")
    return Descriptor(
        media_type=media_type,
        digest=digest,
        size=size,
        artifact_type=artifact_type if isinstance(artifact_type, str) else None,
        platform=platform_name,
        annotations=_strings(value.get("annotations")),
    )


def _strings(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): str(v) for k, v in value.items() if isinstance(v, str)}

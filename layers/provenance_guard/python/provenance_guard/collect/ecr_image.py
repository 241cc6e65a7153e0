"""Reads a container image (one digest in one ECR repository) into an `EcrImageSnapshot`: what ECR
says about it (`DescribeImages`), its latest scan, what it records about its base image (manifest
annotation or config label, read through the OCI data path) and, for a pull-through-cache repository,
its upstream. An image index also carries a snapshot of each platform image it lists."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from provenance_guard.collect.clients import ClientFactory
from provenance_guard.collect.ecr import EcrRegistryReader, PullThroughCacheRule, RegistryScanning
from provenance_guard.collect.ecr_scan import ScanReader, ScanResult
from provenance_guard.collect.ecr_signature import SignatureSet, is_cosign_signature, read_signatures
from provenance_guard.collect.ecr_signing import (
    ManagedSigning,
    Revocation,
    RevocationChecker,
    SigningConfiguration,
    managed_signing,
)
from provenance_guard.model import ResourceKind, ResourceRef
from provenance_guard.oci.ecr import EcrRegistries
from provenance_guard.oci.manifest import (
    BASE_DIGEST,
    BASE_NAME,
    IMAGE_CONFIG_TYPES,
    INDEX_TYPES,
    Descriptor,
    Manifest,
    ManifestError,
    image_config_labels,
)
from provenance_guard.oci.registry import RegistryError

logger = logging.getLogger(__name__)

DESCRIBE_IMAGES = "ecr:DescribeImages"
NOT_FOUND_CODES = frozenset({"ImageNotFoundException", "RepositoryNotFoundException"})
MAX_CONFIG_BYTES = 8 * 1024 * 1024
MAX_PLATFORMS = 16


@dataclass(frozen=True)
class BaseImage:
    name: str
    """`org.opencontainers.image.base.name` as recorded (e.g. `docker.io/library/alpine:3.20`)."""
    digest: str | None
    recorded_in: str
    """`manifest annotation` or `config label`."""


@dataclass(frozen=True)
class EcrImageSnapshot:
    ref: ResourceRef
    repository: str
    digest: str
    image_tags: tuple[str, ...]
    pushed_at: datetime | None
    media_type: str
    kind: str
    """`image`, `index` (multi-platform) or `artifact` (a signature, SBOM or other non-image)."""
    scan: ScanResult | None
    """None for an index or artifact (ECR scans platform images)."""
    base_image: BaseImage | None = None
    upstream: str | None = None
    """For a pull-through-cache repository: `host/path` of the upstream repository."""
    oci_error: str | None = None
    """Why the manifest or config could not be read through the registry (then provenance is unknown)."""
    platforms: tuple[tuple[str, EcrImageSnapshot | None], ...] = ()
    """For an index: (platform, snapshot) per entry; None when that digest is not in the repository."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """The repository's resource tags (images have none of their own)."""
    manifest_size: int | None = None
    """Bytes of the manifest as served (a signature's target descriptor must name this size)."""
    signatures: SignatureSet | None = None
    """The Notation signatures whose subject is this digest (None for an artifact, or when unreadable)."""
    revocations: Mapping[str, Revocation] = field(default_factory=dict)
    """AWS Signer's revocation answer per signature manifest digest (AWS Signer signatures only)."""
    managed_signing: ManagedSigning | None = None
    """ECR managed signing, when a signing rule of the registry covers the repository."""

    def asff_details(self) -> dict[str, Any]:
        details: dict[str, Any] = {
            "RegistryId": self.ref.account,
            "RepositoryName": self.repository,
            "ImageDigest": self.digest,
            "ImageTags": list(self.image_tags[:20]),
        }
        if self.pushed_at:
            details["ImagePublishedAt"] = self.pushed_at.isoformat()
        return {"AwsEcrContainerImage": details}


@dataclass(frozen=True)
class _RegistryContext:
    scanning: RegistryScanning
    pull_through: tuple[PullThroughCacheRule, ...]
    tags: Mapping[str, str]
    signing: SigningConfiguration


class EcrImageCollector:
    def __init__(
        self,
        clients: ClientFactory,
        registries: EcrRegistries,
        registry: EcrRegistryReader | None = None,
        *,
        per_run: bool = False,
    ):
        """With `per_run`, an image is read at most once between two `forget()` calls (the pipeline
        calls it as each run starts): an index's platform images, also queued as work of their own, and
        a digest several Lambda versions serve are not read again in the same run."""
        self._clients = clients
        self._registries = registries
        self._registry = registry or EcrRegistryReader(clients)
        self._scans = ScanReader(clients)
        self._revocation = RevocationChecker(clients)
        self._per_run = per_run
        self._read: dict[ResourceRef, EcrImageSnapshot | None] = {}

    def forget(self) -> None:
        self._read.clear()

    def collect(self, ref: ResourceRef) -> EcrImageSnapshot | None:
        """The image's snapshot, or None when the digest (or its repository) no longer exists."""
        if ref not in self._read:
            snapshot = self._collect(ref)
            if not self._per_run:
                return snapshot
            self._read[ref] = snapshot
        return self._read[ref]

    def _collect(self, ref: ResourceRef) -> EcrImageSnapshot | None:
        repository, digest = split_image_name(ref.name)
        detail = self._describe(ref.region, repository, digest)
        if detail is None:
            return None
        context = _RegistryContext(
            scanning=self._registry.scanning(ref.region),
            pull_through=self._registry.pull_through_cache_rules(ref.region),
            tags=self._registry.repository_tags(ref, _repository_arn(ref, repository)),
            signing=self._registry.signing(ref.region),
        )
        snapshot, manifest = self._snapshot(ref, repository, digest, detail, context)
        if snapshot.kind != "index" or manifest is None:
            return snapshot
        platforms = []
        for entry in platform_entries(manifest):
            child_ref = replace(ref, name=f"{repository}@{entry.digest}")
            if child_ref in self._read:
                child_snapshot = self._read[child_ref]
            else:
                child = self._describe(ref.region, repository, entry.digest)
                child_snapshot = (
                    self._snapshot(child_ref, repository, entry.digest, child, context)[0] if child else None
                )
                if self._per_run:
                    self._read[child_ref] = child_snapshot
            platforms.append((entry.platform or "unknown", child_snapshot))
        return replace(snapshot, platforms=tuple(platforms))

    def _describe(self, region: str, repository: str, digest: str) -> Mapping[str, Any] | None:
        from botocore.exceptions import ClientError

        ecr = self._clients.client("ecr", region)
        try:
            details = ecr.describe_images(repositoryName=repository, imageIds=[{"imageDigest": digest}])["imageDetails"]
        except ClientError as error:
            if error.response["Error"]["Code"] in NOT_FOUND_CODES:
                return None
            raise
        return details[0] if details else None

    def _snapshot(
        self, ref: ResourceRef, repository: str, digest: str, detail: Mapping[str, Any], context: _RegistryContext
    ) -> tuple[EcrImageSnapshot, Manifest | None]:
        pushed = detail.get("imagePushedAt")
        media_type = str(detail.get("imageManifestMediaType") or "")
        snapshot = EcrImageSnapshot(
            ref=ref,
            repository=repository,
            digest=digest,
            image_tags=tuple(sorted(detail.get("imageTags") or [])),
            pushed_at=pushed if isinstance(pushed, datetime) else None,
            media_type=media_type,
            kind=_kind(detail),
            scan=None,
            upstream=next((u for rule in context.pull_through if (u := rule.upstream_of(repository))), None),
            tags=context.tags,
        )
        snapshot, manifest = self._with_manifest(snapshot)
        if snapshot.kind == "artifact":
            return snapshot, manifest
        snapshot = replace(
            snapshot,
            revocations=self._revocations(snapshot.signatures),
            managed_signing=managed_signing(self._clients, ref.region, context.signing, repository, digest),
        )
        if snapshot.kind != "image":
            return snapshot, manifest
        status = detail.get("imageScanStatus") or {}
        if context.scanning.enhanced_for(repository):
            scan = self._scans.inspector(ref.region, ref.account, repository, digest, status)
        else:
            scan = self._scans.basic(ref.region, repository, digest, status)
        return replace(snapshot, scan=scan), manifest

    def _revocations(self, signatures: SignatureSet | None) -> dict[str, Revocation]:
        """Ask AWS Signer about each AWS Signer signature whose envelope verifies (imports `cryptography`
        only when the image has signatures)."""
        candidates = [c for c in (signatures.candidates if signatures else ()) if c.envelope is not None]
        if not candidates:
            return {}
        from provenance_guard.signatures.envelope import SignatureError
        from provenance_guard.signatures.signer import revocation_query
        from provenance_guard.signatures.verify import open_envelope

        answers: dict[str, Revocation] = {}
        for candidate in candidates:
            try:
                query = revocation_query(open_envelope(candidate.envelope or b"", candidate.envelope_type))
            except SignatureError:
                continue  # the control reports why it does not verify
            if query is not None:
                answers[candidate.manifest_digest] = self._revocation.status(query)
        return answers

    def _with_manifest(self, snapshot: EcrImageSnapshot) -> tuple[EcrImageSnapshot, Manifest | None]:
        """Kind (from the manifest itself) and the recorded base image, through the OCI data path."""
        reader = self._registries.reader(snapshot.ref.account, snapshot.ref.region)
        try:
            manifest = reader.manifest(snapshot.repository, snapshot.digest)
            kind = manifest_kind(manifest)
            snapshot = replace(snapshot, kind=kind, media_type=manifest.media_type, manifest_size=len(manifest.raw))
            if kind != "artifact":
                snapshot = replace(snapshot, signatures=read_signatures(reader, snapshot.repository, snapshot.digest))
            base = _base_from(manifest.annotations, "manifest annotation")
            config = manifest.config
            if base is None and kind == "image" and config is not None and config.media_type in IMAGE_CONFIG_TYPES:
                labels = image_config_labels(reader.blob(snapshot.repository, config.digest, MAX_CONFIG_BYTES))
                base = _base_from(labels, "config label")
            return replace(snapshot, base_image=base), manifest
        except (RegistryError, ManifestError) as error:
            logger.warning("cannot read %s through the registry: %s", snapshot.ref.name, error)
            return replace(snapshot, oci_error=str(error)[:300]), None


def image_ref(repository: str, digest: str, account: str, region: str, partition: str = "aws") -> ResourceRef:
    return ResourceRef(ResourceKind.ECR_IMAGE, f"{repository}@{digest}", account, region, partition)


def manifest_kind(manifest: Manifest) -> str:
    """`index`, `artifact` (OCI 1.1 artifact, non-image config, or a legacy cosign `.sig`/`.att`) or `image`."""
    if manifest.is_index:
        return "index"
    return "artifact" if manifest.artifact_type or is_cosign_signature(manifest) else "image"


def platform_entries(manifest: Manifest) -> list[Descriptor]:
    """The platform images an index lists, at most MAX_PLATFORMS (BuildKit's `unknown/unknown`
    attestation entries are not platforms)."""
    return [e for e in manifest.manifests if e.platform != "unknown/unknown"][:MAX_PLATFORMS]


def split_image_name(name: str) -> tuple[str, str]:
    repository, _, digest = name.partition("@")
    if not repository or not digest:
        raise ValueError(f"an image is named <repository>@<digest>, got {name!r}")
    return repository, digest


def _kind(detail: Mapping[str, Any]) -> str:
    if detail.get("imageManifestMediaType") in INDEX_TYPES:
        return "index"
    if detail.get("subjectManifestDigest") or (
        detail.get("artifactMediaType") and detail.get("artifactMediaType") not in IMAGE_CONFIG_TYPES
    ):
        return "artifact"
    return "image"


def _base_from(values: Mapping[str, str], where: str) -> BaseImage | None:
    name = values.get(BASE_NAME, "").strip()
    return BaseImage(name, values.get(BASE_DIGEST) or None, where) if name else None


def _repository_arn(ref: ResourceRef, repository: str) -> str:
    return f"arn:{ref.partition}:ecr:{ref.region}:{ref.account}:repository/{repository}"

"""Reads a container image (one digest in one ECR repository) into an `EcrImageSnapshot`: what ECR
says about it (`DescribeImages`), its latest scan, what it records about its base image (manifest
annotation or config label, read through the OCI data path) and, for a pull-through-cache repository,
its upstream. An image index also carries a snapshot of each platform image it lists."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.base import Collection, Kind, RunCache, entry_time, jsonable
from provenance_guard.collect.ecr import (
    DESCRIBE_PULL_THROUGH_CACHE_RULES,
    DESCRIBE_REPOSITORIES,
    GET_REGISTRY_SCANNING,
    LIST_TAGS,
    EcrRegistryReader,
    PullThroughCacheRule,
    RegistryScanning,
    repository_names,
)
from provenance_guard.collect.ecr_expand import ImageExpander
from provenance_guard.collect.ecr_image_model import (
    DESCRIBE_IMAGES,
    ECR_IMAGE,
    BaseImage,
    EcrImageSnapshot,
    manifest_kind,
    platform_entries,
    split_image_name,
)
from provenance_guard.collect.ecr_manifests import manifest_once
from provenance_guard.collect.ecr_scan import DESCRIBE_SCAN_FINDINGS, LIST_INSPECTOR_FINDINGS, ScanReader
from provenance_guard.collect.ecr_signature import SignatureSet, read_signatures
from provenance_guard.collect.ecr_signing import (
    READ_SIGNING,
    Revocation,
    RevocationChecker,
    SigningConfiguration,
    managed_signing,
)
from provenance_guard.model import ResourceRef
from provenance_guard.oci.ecr import OCI_PERMISSIONS, EcrRegistries
from provenance_guard.oci.manifest import (
    BASE_DIGEST,
    BASE_NAME,
    IMAGE_CONFIG_TYPES,
    INDEX_TYPES,
    Manifest,
    ManifestError,
    image_config_labels,
)
from provenance_guard.oci.registry import RegistryError, RegistryUnreachableError

logger = logging.getLogger(__name__)

NOT_FOUND_CODES = frozenset({"ImageNotFoundException", "RepositoryNotFoundException"})
UNPULLABLE_STATUSES = frozenset({"ARCHIVED", "ACTIVATING"})
"""An image in the ECR archive storage class (or still being restored from it) cannot be pulled: its
findings are archived like a deleted image's (CONTROLS.md §6.1)."""
MAX_CONFIG_BYTES = 8 * 1024 * 1024
READ_IMAGE = (
    DESCRIBE_IMAGES,
    LIST_TAGS,
    GET_REGISTRY_SCANNING,
    DESCRIBE_PULL_THROUGH_CACHE_RULES,
    DESCRIBE_SCAN_FINDINGS,
    LIST_INSPECTOR_FINDINGS,
    *OCI_PERMISSIONS,
)
"""What `EcrImageCollector` reads for any image (one snapshot serves every image control), besides the
signing reads PG.ECR.3 declares (`READ_SIGNING`)."""
IMAGE_KEYS = (
    "imageDigest",
    "imageTags",
    "imagePushedAt",
    "imageManifestMediaType",
    "artifactMediaType",
    "subjectManifestDigest",
    "imageScanStatus",
)
"""What the collector reads of a `DescribeImages` entry (a sweep page carries these)."""


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
        run: RunCache | None = None,
    ):
        """With a run cache, an image is read at most once per pipeline run: an index's platform images,
        also queued as work of their own, and a digest several Lambda versions serve are not read again."""
        self._clients = clients
        self._registries = registries
        self._registry = registry or EcrRegistryReader(clients, run)
        self._scans = ScanReader(clients)
        self._revocation = RevocationChecker(clients)
        self._run = run or RunCache()
        """Without one given, a cache for each `collect` call: an index reads each platform image once."""
        self._per_run = run is not None

    def collect(self, ref: ResourceRef) -> EcrImageSnapshot | None:
        """The image's snapshot, or None when the digest (or its repository) no longer exists, or it is
        archived (`imageStatus` ARCHIVED, or ACTIVATING while a restore runs)."""
        if not self._per_run:
            self._run.clear()
        return self._run.once((EcrImageCollector, ref), lambda: self._collect(ref))

    def _collect(self, ref: ResourceRef) -> EcrImageSnapshot | None:
        repository, digest = split_image_name(ref.name)
        detail = self._run.listed(ref) or self._describe(ref.region, repository, digest)
        if detail is None or detail.get("imageStatus") in UNPULLABLE_STATUSES:
            return None
        context = _RegistryContext(
            scanning=self._registry.scanning(ref.region),
            pull_through=self._registry.pull_through_cache_rules(ref.region),
            tags=self._registry.lazy_repository_tags(ref, _repository_arn(ref, repository)),
            signing=self._registry.signing(ref.region),
        )
        snapshot, manifest = self._snapshot(ref, repository, digest, detail, context)
        if snapshot.kind != "index" or manifest is None:
            return snapshot
        platforms = []
        for entry in platform_entries(manifest):
            child_ref = replace(ref, name=f"{repository}@{entry.digest}")
            read = partial(self._platform, child_ref, repository, entry.digest, context)
            child_snapshot = self._run.once((EcrImageCollector, child_ref), read)
            platforms.append((entry.platform or "unknown", child_snapshot))
        return replace(snapshot, platforms=tuple(platforms))

    def _platform(
        self, ref: ResourceRef, repository: str, digest: str, context: _RegistryContext
    ) -> EcrImageSnapshot | None:
        child = self._run.listed(ref) or self._describe(ref.region, repository, digest)
        return self._snapshot(ref, repository, digest, child, context)[0] if child else None

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
        media_type = str(detail.get("imageManifestMediaType") or "")
        snapshot = EcrImageSnapshot(
            ref=ref,
            repository=repository,
            digest=digest,
            image_tags=tuple(sorted(detail.get("imageTags") or [])),
            pushed_at=entry_time(detail.get("imagePushedAt")),
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
            manifest = manifest_once(self._run, reader, snapshot.repository, snapshot.digest)
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
            if not isinstance(error, RegistryUnreachableError):  # that one is logged once, by the reader
                logger.warning("cannot read %s through the registry: %s", snapshot.ref.name, error)
            return replace(snapshot, oci_error=str(error)[:300]), None


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


def listed_images(clients: ClientFactory, region: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The sweep's listing: every image digest of every repository (`<repository>@sha256:<hex>`), with
    what the collector reads of its `DescribeImages` entry; an index and its platform images are
    separate digests, each judged on its own; signatures and other referrers are skipped."""
    ecr: Any = clients.client("ecr", region)
    for name in repository_names(clients, region):
        for page in ecr.get_paginator("describe_images").paginate(
            repositoryName=name, PaginationConfig={"PageSize": 1000}
        ):
            for image in page.get("imageDetails", []):
                if not image.get("subjectManifestDigest"):
                    yield f"{name}@{image['imageDigest']}", jsonable(image, IMAGE_KEYS)


def ecr_images(clients: ClientFactory, region: str) -> Iterator[str]:
    """The sweep's inventory: the names of `listed_images`."""
    return (name for name, _ in listed_images(clients, region))


def _collector(collection: Collection) -> EcrImageCollector:
    registry = collection.shared(EcrRegistryReader, lambda c: EcrRegistryReader(c.clients, c.run))
    return EcrImageCollector(collection.clients, collection.registries, registry, collection.run)


KINDS = (
    Kind(
        ECR_IMAGE,
        collector=_collector,
        collector_reads=(*READ_IMAGE, *READ_SIGNING),
        expander=lambda collection: ImageExpander(collection.clients, collection.registries, collection.run),
        expander_reads=(DESCRIBE_IMAGES, *OCI_PERMISSIONS),
        inventory=ecr_images,
        inventory_reads=(DESCRIBE_REPOSITORIES, DESCRIBE_IMAGES),
        listing=listed_images,
    ),
)

"""Which digests an image event concerns: multi-platform images are judged per digest, and an image
index's findings summarise its platform images, so

- an index expands into itself and each platform image it lists;
- a platform image expands into itself and the image indexes of its repository that list it (their
  summaries change when its scan does). Indexes are looked for among the repository's tagged images,
  newest first, at most `MAX_PARENT_INDEXES` of them.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.base import RunCache
from provenance_guard.collect.ecr_image_model import manifest_kind, platform_entries, split_image_name
from provenance_guard.collect.ecr_manifests import manifest_once
from provenance_guard.model import ResourceRef
from provenance_guard.oci.ecr import EcrRegistries
from provenance_guard.oci.manifest import INDEX_TYPES
from provenance_guard.oci.registry import RegistryError, RegistryUnreachableError
from provenance_guard.work import Action, Work

logger = logging.getLogger(__name__)

MAX_PARENT_INDEXES = 20


class ImageExpander:
    def __init__(self, clients: ClientFactory, registries: EcrRegistries, run: RunCache | None = None) -> None:
        """With the pipeline's run cache, the manifests read here are not read again by the collector."""
        self._clients = clients
        self._registries = registries
        self._run = run or RunCache()

    def __call__(self, ref: ResourceRef) -> list[Work]:
        work = [Work(Action.EVALUATE, ref)]
        repository, digest = split_image_name(ref.name)
        reader = self._registries.reader(ref.account, ref.region)
        try:
            manifest = manifest_once(self._run, reader, repository, digest)
        except RegistryError as error:
            if not isinstance(error, RegistryUnreachableError):  # that one is logged once, by the reader
                logger.warning("cannot read %s through the registry (%s); judging the digest alone", ref.name, error)
            return work
        kind = manifest_kind(manifest)
        if kind == "index":
            children = [e.digest for e in platform_entries(manifest)]
            return work + [Work(Action.EVALUATE, replace(ref, name=f"{repository}@{d}")) for d in children]
        if kind == "artifact":
            return work
        return work + [
            Work(Action.EVALUATE, replace(ref, name=f"{repository}@{parent}"))
            for parent in self._parent_indexes(ref, repository, digest)
        ]

    def _parent_indexes(self, ref: ResourceRef, repository: str, digest: str) -> list[str]:
        from botocore.exceptions import ClientError

        ecr = self._clients.client("ecr", ref.region)
        indexes: list[tuple[datetime, str]] = []
        try:
            pages = ecr.get_paginator("describe_images").paginate(
                repositoryName=repository, filter={"tagStatus": "TAGGED"}
            )
            for page in pages:
                indexes += [
                    (_pushed(image), image["imageDigest"])
                    for image in page.get("imageDetails", [])
                    if image.get("imageManifestMediaType") in INDEX_TYPES
                ]
        except ClientError as error:
            if error.response["Error"]["Code"] == "RepositoryNotFoundException":
                return []
            raise
        reader = self._registries.reader(ref.account, ref.region)
        parents = []
        for _, candidate in sorted(indexes, reverse=True)[:MAX_PARENT_INDEXES]:
            try:
                index = manifest_once(self._run, reader, repository, candidate)
            except RegistryError as error:
                if not isinstance(error, RegistryUnreachableError):
                    logger.warning("cannot read index %s@%s (%s)", repository, candidate, error)
                continue
            if any(entry.digest == digest for entry in index.manifests):
                parents.append(candidate)
        return parents


def _pushed(image: Any) -> datetime:
    pushed = image.get("imagePushedAt")
    return pushed if isinstance(pushed, datetime) else datetime.min.replace(tzinfo=UTC)

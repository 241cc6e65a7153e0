"""Reads ECR repositories into `EcrRepositorySnapshot`s (PG.ECR.1, PG.ECR.2), with the registry-wide
scanning rules that apply to them; and the work a repository or the registry stands for:

- a deleted repository (CloudTrail DeleteRepository, with or without `force`) expands into itself and every
  image of it that still has ACTIVE findings in the state table: archived at once when the repository is
  gone, re-judged when a repository of that name exists again (events arrive in no guaranteed order);
- a registry-wide change (scanning rules) expands into every repository of the registry.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.base import ActiveResources, Collection, Kind, RunCache, entry_time
from provenance_guard.collect.ecr import (
    DESCRIBE_REPOSITORIES,
    GET_REGISTRY_SCANNING,
    LIST_TAGS,
    EcrRegistryReader,
    RegistryScanning,
    listed_repositories,
    repository_names,
)
from provenance_guard.collect.ecr_image_model import ECR_IMAGE
from provenance_guard.model import ArnFormat, ResourceKind, ResourceRef
from provenance_guard.work import Action, Work

logger = logging.getLogger(__name__)


def _repository_name_from_arn(resource: str) -> str | None:
    return None if "/sha256:" in resource else resource


ECR_REPOSITORY = ResourceKind(
    "ecr-repository",
    asff_type="AwsEcrRepository",
    arn=ArnFormat("ecr", "repository/", name_from_arn=_repository_name_from_arn),
    family="ECR",
)
ECR_REGISTRY = ResourceKind(
    "ecr-registry",
    asff_type="Other",
    arn=ArnFormat("ecr", "registry", name_to_arn=lambda _account: "", name_from_arn=lambda _: None),
)
"""Not judged itself: a registry-wide change (scanning rules) expands into its repositories. `name` is
the account; the ARN `arn:<p>:ecr:<region>:<account>:registry`."""
NOT_FOUND_CODES = frozenset({"RepositoryNotFoundException"})


@dataclass(frozen=True)
class EcrRepositorySnapshot:
    ref: ResourceRef
    created_at: datetime | None
    tag_mutability: str
    mutability_exclusions: tuple[str, ...]
    scan_on_push: bool
    registry_scanning: RegistryScanning
    tags: Mapping[str, str]

    def asff_details(self) -> dict[str, Any]:
        return {
            "AwsEcrRepository": {
                "Arn": self.ref.arn,
                "RepositoryName": self.ref.name,
                "ImageTagMutability": self.tag_mutability,
                "ImageScanningConfiguration": {"ScanOnPush": self.scan_on_push},
            }
        }


class EcrRepositoryCollector:
    """Reads a repository with `ecr:DescribeRepositories` (or takes the entry a sweep page listed), the
    registry's scanning rules, and its tags when an exemption asks for them."""

    def __init__(
        self, clients: ClientFactory, registry: EcrRegistryReader | None = None, run: RunCache | None = None
    ) -> None:
        self._clients = clients
        self._registry = registry or EcrRegistryReader(clients)
        self._run = run

    def collect(self, ref: ResourceRef) -> EcrRepositorySnapshot | None:
        repository = (self._run.listed(ref) if self._run is not None else None) or self.describe(ref)
        if repository is None:
            return None
        return EcrRepositorySnapshot(
            ref=ref,
            created_at=entry_time(repository.get("createdAt")),
            tag_mutability=str(repository.get("imageTagMutability", "MUTABLE")),
            mutability_exclusions=tuple(
                str(f["filter"]) for f in repository.get("imageTagMutabilityExclusionFilters") or []
            ),
            scan_on_push=bool((repository.get("imageScanningConfiguration") or {}).get("scanOnPush", False)),
            registry_scanning=self._registry.scanning(ref.region),
            tags=self._registry.lazy_repository_tags(ref, str(repository.get("repositoryArn", ref.arn))),
        )

    def describe(self, ref: ResourceRef) -> Mapping[str, Any] | None:
        """The `DescribeRepositories` entry, or None when the repository does not exist."""
        from botocore.exceptions import ClientError

        try:
            found = self._clients.client("ecr", ref.region).describe_repositories(repositoryNames=[ref.name])
        except ClientError as error:
            if error.response["Error"]["Code"] in NOT_FOUND_CODES:
                return None
            raise
        repositories = found.get("repositories", [])
        return repositories[0] if repositories else None


def registry_repositories_work(clients: ClientFactory, ref: ResourceRef) -> list[Work]:
    """Every repository of the registry `ref` (a registry-wide change re-judges them all)."""
    return [
        Work(Action.EVALUATE, ResourceRef(ECR_REPOSITORY, name, ref.account, ref.region, ref.partition))
        for name in repository_names(clients, ref.region)
    ]


class RepositoryDeletion:
    """Work for a repository that was deleted: its findings and its images' findings are archived."""

    def __init__(self, clients: ClientFactory, state: ActiveResources | None) -> None:
        self._clients = clients
        self._state = state

    def __call__(self, ref: ResourceRef) -> list[Work]:
        if ref.kind is not ECR_REPOSITORY:
            raise ValueError(f"only a repository expands into its images, got {ref.kind.value}")
        action = Action.EVALUATE if self._exists(ref) else Action.ARCHIVE
        return [Work(action, ref)] + [Work(action, image) for image in self._images_with_findings(ref)]

    def _exists(self, ref: ResourceRef) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._clients.client("ecr", ref.region).describe_repositories(repositoryNames=[ref.name])
        except ClientError as error:
            if error.response["Error"]["Code"] == "RepositoryNotFoundException":
                return False
            raise
        logger.info("repository %s exists again; re-judging it and its images instead of archiving", ref.arn)
        return True

    def _images_with_findings(self, ref: ResourceRef) -> list[ResourceRef]:
        if self._state is None:  # no table (a read-only CLI run): nothing recorded to archive
            return []
        prefix = f"{ref.arn}/sha256:"
        images = [
            replace(ref, kind=ECR_IMAGE, name=name)
            for arn in self._state.active_resources(ref.account, ref.region, prefix)
            if (name := _image_name(arn)) is not None
        ]
        return sorted(images, key=lambda i: i.name)


def _image_name(arn: str) -> str | None:
    """The image name of an image ARN (`ECR_IMAGE`'s format), or None."""
    parts = arn.split(":", 5)
    return ECR_IMAGE.arn.parse(parts[2], parts[5]) if len(parts) == 6 and ECR_IMAGE.arn else None


def _collector(collection: Collection) -> EcrRepositoryCollector:
    registry = collection.shared(EcrRegistryReader, lambda c: EcrRegistryReader(c.clients, c.run))
    return EcrRepositoryCollector(collection.clients, registry, collection.run)


KINDS = (
    Kind(
        ECR_REPOSITORY,
        collector=_collector,
        collector_reads=(DESCRIBE_REPOSITORIES, GET_REGISTRY_SCANNING, LIST_TAGS),
        expander=lambda collection: RepositoryDeletion(collection.clients, collection.state),
        expander_reads=(DESCRIBE_REPOSITORIES,),
        inventory=repository_names,
        inventory_reads=(DESCRIBE_REPOSITORIES,),
        listing=listed_repositories,
    ),
    Kind(
        ECR_REGISTRY,
        expander=lambda collection: lambda ref: registry_repositories_work(collection.clients, ref),
        expander_reads=(DESCRIBE_REPOSITORIES,),
    ),
)

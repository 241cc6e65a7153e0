"""Reads ECR repositories and the registry-wide settings that apply to them (scanning rules,
pull-through cache rules) into `EcrRepositorySnapshot`s.

Registry-wide settings are read once per pipeline run (`EcrRegistryReader.forget` starts a new one):
images of one batch or sweep page share one reading, and a CloudTrail-triggered re-evaluation, which
always runs after the change, sees the change that triggered it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from provenance_guard.collect.clients import ClientFactory
from provenance_guard.events import Action, Work
from provenance_guard.model import ResourceKind, ResourceRef

if TYPE_CHECKING:
    from provenance_guard.collect.ecr_signing import SigningConfiguration

T = TypeVar("T")
DESCRIBE_REPOSITORIES = "ecr:DescribeRepositories"
GET_REGISTRY_SCANNING = "ecr:GetRegistryScanningConfiguration"
LIST_TAGS = "ecr:ListTagsForResource"
DESCRIBE_PULL_THROUGH_CACHE_RULES = "ecr:DescribePullThroughCacheRules"
NOT_FOUND_CODES = frozenset({"RepositoryNotFoundException"})
FREQUENCY_RANK = {"MANUAL": 0, "SCAN_ON_PUSH": 1, "CONTINUOUS_SCAN": 2}


@dataclass(frozen=True)
class ScanningRule:
    frequency: str
    """SCAN_ON_PUSH, CONTINUOUS_SCAN or MANUAL."""
    filters: tuple[str, ...]
    """WILDCARD repository filters (`*` matches any run of characters)."""

    def matches(self, repository: str) -> str | None:
        """The first filter matching `repository`, or None."""
        return next((f for f in self.filters if wildcard_match(f, repository)), None)


@dataclass(frozen=True)
class RegistryScanning:
    """The registry's scanning configuration (`GetRegistryScanningConfiguration`)."""

    scan_type: str
    """BASIC (ECR's own scanner) or ENHANCED (Amazon Inspector)."""
    rules: tuple[ScanningRule, ...]

    def coverage(self, repository: str) -> tuple[str, str] | None:
        """(frequency, filter) of the strongest rule covering `repository`; None when no rule matches.

        CONTINUOUS_SCAN wins over SCAN_ON_PUSH, which wins over MANUAL, as ECR applies them."""
        matched = [(rule.frequency, f) for rule in self.rules if (f := rule.matches(repository)) is not None]
        return max(matched, key=lambda m: FREQUENCY_RANK.get(m[0], -1), default=None)

    def enhanced_for(self, repository: str) -> bool:
        """Amazon Inspector scans the repository (ENHANCED, matched by a non-MANUAL rule)."""
        covered = self.coverage(repository)
        return self.scan_type == "ENHANCED" and covered is not None and covered[0] != "MANUAL"


@dataclass(frozen=True)
class PullThroughCacheRule:
    prefix: str
    upstream_registry_url: str
    upstream_repository_prefix: str | None

    def upstream_of(self, repository: str) -> str | None:
        """`host/path` of the upstream repository `repository` caches, or None if not under this rule."""
        if self.prefix == "ROOT":
            remainder = repository
        elif repository.startswith(self.prefix + "/"):
            remainder = repository[len(self.prefix) + 1 :]
        else:
            return None
        upstream_prefix = self.upstream_repository_prefix
        path = remainder if upstream_prefix in (None, "", "ROOT") else f"{upstream_prefix}/{remainder}"
        return f"{self.upstream_registry_url.rstrip('/')}/{path}"


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


class EcrRegistryReader:
    """Registry-wide ECR settings, per Region. With `per_run`, each is read at most once between two
    `forget()` calls (the pipeline calls it as each run starts); without, at every request."""

    def __init__(self, clients: ClientFactory, *, per_run: bool = False) -> None:
        self._clients = clients
        self._per_run = per_run
        self._read: dict[tuple[str, str], Any] = {}

    def forget(self) -> None:
        """Start a new run: read every setting again when next asked."""
        self._read.clear()

    def _once(self, name: str, region: str, read: Callable[[str], T]) -> T:
        if not self._per_run:
            return read(region)
        key = (name, region)
        if key not in self._read:
            self._read[key] = read(region)
        value: T = self._read[key]
        return value

    def scanning(self, region: str) -> RegistryScanning:
        return self._once("scanning", region, self._scanning)

    def pull_through_cache_rules(self, region: str) -> tuple[PullThroughCacheRule, ...]:
        return self._once("pull-through", region, self._pull_through_cache_rules)

    def signing(self, region: str) -> SigningConfiguration:
        from provenance_guard.collect.ecr_signing import signing_configuration  # it imports wildcard_match

        return self._once("signing", region, partial(signing_configuration, self._clients))

    def _scanning(self, region: str) -> RegistryScanning:
        configuration = self._clients.client("ecr", region).get_registry_scanning_configuration()
        scanning = configuration.get("scanningConfiguration") or {}
        rules = tuple(
            ScanningRule(
                frequency=str(rule.get("scanFrequency", "MANUAL")),
                filters=tuple(
                    str(f["filter"]) for f in rule.get("repositoryFilters", []) if f.get("filterType") == "WILDCARD"
                ),
            )
            for rule in scanning.get("rules", [])
        )
        return RegistryScanning(str(scanning.get("scanType", "BASIC")), rules)

    def _pull_through_cache_rules(self, region: str) -> tuple[PullThroughCacheRule, ...]:
        ecr = self._clients.client("ecr", region)
        rules: list[PullThroughCacheRule] = []
        for page in ecr.get_paginator("describe_pull_through_cache_rules").paginate():
            for rule in page.get("pullThroughCacheRules", []):
                rules.append(
                    PullThroughCacheRule(
                        prefix=str(rule["ecrRepositoryPrefix"]),
                        upstream_registry_url=str(rule["upstreamRegistryUrl"]),
                        upstream_repository_prefix=rule.get("upstreamRepositoryPrefix"),
                    )
                )
        return tuple(rules)

    def repository_tags(self, ref: ResourceRef, repository_arn: str) -> dict[str, str]:
        def read(region: str) -> dict[str, str]:
            response = self._clients.client("ecr", region).list_tags_for_resource(resourceArn=repository_arn)
            return {t["Key"]: t["Value"] for t in response.get("tags", [])}

        return self._once(f"tags {repository_arn}", ref.region, read)


class EcrRepositoryCollector:
    """Reads a repository with `ecr:DescribeRepositories` and the registry's scanning rules."""

    def __init__(self, clients: ClientFactory, registry: EcrRegistryReader | None = None) -> None:
        self._clients = clients
        self._registry = registry or EcrRegistryReader(clients)

    def collect(self, ref: ResourceRef) -> EcrRepositorySnapshot | None:
        repository = self.describe(ref)
        if repository is None:
            return None
        created = repository.get("createdAt")
        return EcrRepositorySnapshot(
            ref=ref,
            created_at=created if isinstance(created, datetime) else None,
            tag_mutability=str(repository.get("imageTagMutability", "MUTABLE")),
            mutability_exclusions=tuple(
                str(f["filter"]) for f in repository.get("imageTagMutabilityExclusionFilters") or []
            ),
            scan_on_push=bool((repository.get("imageScanningConfiguration") or {}).get("scanOnPush", False)),
            registry_scanning=self._registry.scanning(ref.region),
            tags=self._registry.repository_tags(ref, str(repository.get("repositoryArn", ref.arn))),
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
    ecr = clients.client("ecr", ref.region)
    work = []
    for page in ecr.get_paginator("describe_repositories").paginate():
        for repository in page.get("repositories", []):
            repo_ref = ResourceRef(
                ResourceKind.ECR_REPOSITORY, repository["repositoryName"], ref.account, ref.region, ref.partition
            )
            work.append(Work(Action.EVALUATE, repo_ref))
    return work


def wildcard_match(pattern: str, name: str) -> bool:
    """ECR's WILDCARD filter: the whole name matches, `*` standing for any run of characters."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, name) is not None

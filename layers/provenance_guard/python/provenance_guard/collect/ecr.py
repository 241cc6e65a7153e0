"""Reads ECR repositories and the registry-wide settings that apply to them (scanning rules,
pull-through cache rules) into `EcrRepositorySnapshot`s.

Registry-wide settings are read once per pipeline run (the run cache it is given): images of one batch
or sweep page share one reading, and a CloudTrail-triggered re-evaluation, which always runs after the
change, sees the change that triggered it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.base import LazyTags, RunCache, jsonable
from provenance_guard.collect.ecr_filters import wildcard_match
from provenance_guard.collect.ecr_signing import SigningConfiguration, signing_configuration
from provenance_guard.model import ResourceRef

T = TypeVar("T")
DESCRIBE_REPOSITORIES = "ecr:DescribeRepositories"
GET_REGISTRY_SCANNING = "ecr:GetRegistryScanningConfiguration"
LIST_TAGS = "ecr:ListTagsForResource"
DESCRIBE_PULL_THROUGH_CACHE_RULES = "ecr:DescribePullThroughCacheRules"
FREQUENCY_RANK = {"MANUAL": 0, "SCAN_ON_PUSH": 1, "CONTINUOUS_SCAN": 2}
REPOSITORY_KEYS = (
    "repositoryArn",
    "repositoryName",
    "createdAt",
    "imageTagMutability",
    "imageTagMutabilityExclusionFilters",
    "imageScanningConfiguration",
)
"""What the repository collector reads of a `DescribeRepositories` entry (a sweep page carries these)."""


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


class EcrRegistryReader:
    """Registry-wide ECR settings, per Region. With a run cache, each is read at most once per pipeline
    run; without, at every request."""

    def __init__(self, clients: ClientFactory, run: RunCache | None = None) -> None:
        self._clients = clients
        self._run = run

    def _once(self, name: str, region: str, read: Callable[[str], T]) -> T:
        if self._run is None:
            return read(region)
        return self._run.once((EcrRegistryReader, name, region), lambda: read(region))

    def scanning(self, region: str) -> RegistryScanning:
        return self._once("scanning", region, self._scanning)

    def pull_through_cache_rules(self, region: str) -> tuple[PullThroughCacheRule, ...]:
        return self._once("pull-through", region, self._pull_through_cache_rules)

    def signing(self, region: str) -> SigningConfiguration:
        return self._once("signing", region, lambda r: signing_configuration(self._clients, r))

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

    def lazy_repository_tags(self, ref: ResourceRef, repository_arn: str) -> LazyTags:
        """`repository_tags`, read only when something looks at them (an exemption by tag)."""
        return LazyTags(lambda: self.repository_tags(ref, repository_arn))


def listed_repositories(clients: ClientFactory, region: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every repository of the Region's registry with what the collector reads of its entry, paged."""
    ecr: Any = clients.client("ecr", region)
    for page in ecr.get_paginator("describe_repositories").paginate(PaginationConfig={"PageSize": 1000}):
        for repository in page.get("repositories", []):
            yield repository["repositoryName"], jsonable(repository, REPOSITORY_KEYS)


def repository_names(clients: ClientFactory, region: str) -> Iterator[str]:
    """Every repository of the Region's registry, paged."""
    return (name for name, _ in listed_repositories(clients, region))

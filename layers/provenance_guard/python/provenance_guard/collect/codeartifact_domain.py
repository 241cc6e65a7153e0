"""CodeArtifact domains (PG.PKG.2, PG.PKG.4): the domain, every package group in it with its origin
configuration, and its resource policy. The sweep lists the domains the account owns (ListDomains); package
groups are read, paged, with each domain, not judged alone."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.base import Collection, Kind
from provenance_guard.collect.codeartifact import (
    DESCRIBE_DOMAIN,
    DESCRIBE_ORGANIZATION,
    GET_DOMAIN_POLICY,
    GONE,
    LIST_DOMAINS,
    LIST_PACKAGE_GROUPS,
    PAGE,
    UNREADABLE,
    CodeArtifactReader,
    Organization,
    PolicyReading,
    error_code,
    error_text,
    owned_domains,
    read_policy,
)
from provenance_guard.collect.codeartifact_groups import PackageGroup, PatternError
from provenance_guard.model import ArnFormat, ResourceKind, ResourceRef

logger = logging.getLogger(__name__)


def _domain_from_arn(resource: str) -> str | None:
    return resource if resource and "/" not in resource else None


CODEARTIFACT_DOMAIN = ResourceKind(
    "codeartifact-domain",
    asff_type="Other",
    arn=ArnFormat("codeartifact", "domain/", name_from_arn=_domain_from_arn),
    family="PKG",
)
"""`ResourceRef.name` is the domain name; the account is the domain owner."""


@dataclass(frozen=True)
class DomainSnapshot:
    ref: ResourceRef
    status: str
    repository_count: int | None
    groups: tuple[PackageGroup, ...]
    groups_error: str | None
    """Why the package groups could not be listed (then `groups` is empty)."""
    unreadable_patterns: tuple[str, ...]
    """Patterns of groups this product cannot read (left out of `groups`)."""
    policy: PolicyReading
    organization: Organization
    tags: Mapping[str, str]
    label: str = "domain"

    def asff_details(self) -> dict[str, Any]:
        other = {
            "DomainName": self.ref.name,
            "DomainOwner": self.ref.account,
            "Status": self.status,
            "PackageGroups": ", ".join(g.text for g in self.groups)[:1024] or "-",
            "ResourcePolicy": "present" if self.policy.document else ("unreadable" if self.policy.error else "none"),
        }
        if self.repository_count is not None:
            other["RepositoryCount"] = str(self.repository_count)
        return {"Other": other}


class DomainCollector:
    """Reads a domain with DescribeDomain, ListPackageGroups and GetDomainPermissionsPolicy."""

    def __init__(self, clients: ClientFactory, reader: CodeArtifactReader) -> None:
        self._clients = clients
        self._reader = reader

    def collect(self, ref: ResourceRef) -> DomainSnapshot | None:
        from botocore.exceptions import ClientError

        codeartifact = self._clients.client("codeartifact", ref.region)
        owner = {"domain": ref.name, "domainOwner": ref.account}
        try:
            domain = codeartifact.describe_domain(**owner)["domain"]
        except ClientError as error:
            if error_code(error) in GONE:
                return None
            raise
        if domain.get("status") == "Deleted":
            return None
        groups, unreadable, groups_error = self._groups(codeartifact, owner)
        count = domain.get("repositoryCount")
        return DomainSnapshot(
            ref=ref,
            status=str(domain.get("status", "")),
            repository_count=int(count) if count is not None else None,
            groups=groups,
            groups_error=groups_error,
            unreadable_patterns=unreadable,
            policy=read_policy(lambda: codeartifact.get_domain_permissions_policy(**owner)),
            organization=self._reader.organization(),
            tags={},
        )

    @staticmethod
    def _groups(
        codeartifact: Any, owner: Mapping[str, str]
    ) -> tuple[tuple[PackageGroup, ...], tuple[str, ...], str | None]:
        from botocore.exceptions import ClientError

        groups: list[PackageGroup] = []
        unreadable: list[str] = []
        try:
            pages = codeartifact.get_paginator("list_package_groups").paginate(
                **owner, PaginationConfig={"PageSize": PAGE}
            )
            for page in pages:
                for summary in page.get("packageGroups", []):
                    try:
                        groups.append(PackageGroup.from_summary(summary))
                    except PatternError as problem:
                        logger.warning("package group not understood: %s", problem)
                        unreadable.append(str(summary.get("pattern")))
        except ClientError as error:
            if error_code(error) in UNREADABLE:
                return (), (), error_text(error)
            raise
        return tuple(groups), tuple(unreadable), None


def domain_names(clients: ClientFactory, region: str) -> Iterator[str]:
    """The sweep's inventory: the domains the account owns."""
    yield from owned_domains(clients, region)


def reader(collection: Collection) -> CodeArtifactReader:
    return collection.shared(CodeArtifactReader, lambda c: CodeArtifactReader(c.clients, c.run))


READ_DOMAIN = (DESCRIBE_DOMAIN, LIST_PACKAGE_GROUPS, GET_DOMAIN_POLICY, DESCRIBE_ORGANIZATION)

KINDS = (
    Kind(
        CODEARTIFACT_DOMAIN,
        collector=lambda collection: DomainCollector(collection.clients, reader(collection)),
        collector_reads=READ_DOMAIN,
        inventory=domain_names,
        inventory_reads=(LIST_DOMAINS,),
    ),
)

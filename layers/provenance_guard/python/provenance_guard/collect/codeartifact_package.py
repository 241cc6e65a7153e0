"""CodeArtifact package versions (PG.PKG.3): where a version entered the domain (DescribePackageVersion's
`origin`: INTERNAL through a repository it was published to, EXTERNAL through an external connection,
UNKNOWN).

AWS's package ARN, `package/<domain>/<repository>/<format>/<namespace>/<name>`, names no version; the resource
id of a version is that ARN followed by `/<version>` (`ResourceRef.name`: see `PackageVersionName`). No part
contains `/`, so the id reads back unambiguously, and the ids of one package share its ARN as a prefix.

A version that is Archived, Disposed or deleted can no longer be downloaded (User Guide, "Package version
status"): it is gone for the product, and its findings are archived; restored, it is judged again.

The sweep lists only the versions of packages in `packages.internal_namespaces` (ListPackages narrowed by
format, namespace and name prefix, then ListPackageVersions), never every version a mirror of a public
registry has pulled: public versions are judged from their own events.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.base import Kind
from provenance_guard.collect.codeartifact import (
    DESCRIBE_PACKAGE_VERSION,
    GONE,
    LIST_DOMAINS,
    LIST_PACKAGE_VERSIONS,
    LIST_PACKAGES,
    LIST_REPOSITORIES_IN_DOMAIN,
    PAGE,
    domain_repositories,
    error_code,
    owned_domains,
)
from provenance_guard.collect.codeartifact_names import (
    NamespaceSet,
    PackageCoordinates,
    PackageVersionName,
    literal_prefix,
    namespace_sets,
)
from provenance_guard.model import ArnFormat, ResourceKind, ResourceRef
from provenance_guard.policy import Policy

UNAVAILABLE_STATUSES = frozenset({"Archived", "Disposed", "Deleted"})
"""Statuses in which a version's assets cannot be downloaded."""


def _version_from_arn(resource: str) -> str | None:
    return resource if PackageVersionName.parse(resource) is not None else None


CODEARTIFACT_PACKAGE_VERSION = ResourceKind(
    "codeartifact-package-version",
    asff_type="Other",
    arn=ArnFormat("codeartifact", "package/", name_from_arn=_version_from_arn),
    family="PKG",
)
"""`ResourceRef.name` is `<domain>/<repository>/<format>/<namespace>/<package>/<version>`; the account is the
domain owner; the resource id is the package ARN followed by `/<version>`."""


def package_arn_prefix(repository: ResourceRef) -> str:
    """The start of the resource id of every package version of a repository (`name` `<domain>/<repository>`)."""
    return (
        f"arn:{repository.partition}:codeartifact:{repository.region}:{repository.account}:package/{repository.name}/"
    )


@dataclass(frozen=True)
class PackageVersionSnapshot:
    ref: ResourceRef
    version: PackageVersionName
    display_name: str
    status: str
    origin_type: str
    """INTERNAL, EXTERNAL or UNKNOWN ("" when CodeArtifact reported no origin)."""
    entry_repository: str | None
    entry_connection: str | None
    published: datetime | None
    tags: Mapping[str, str]

    @property
    def coordinates(self) -> PackageCoordinates:
        return self.version.coordinates

    @property
    def entry_point(self) -> str:
        if self.entry_connection:
            return f"external connection {self.entry_connection}"
        if self.entry_repository:
            return f"repository {self.entry_repository}"
        return "unknown"

    def asff_details(self) -> dict[str, Any]:
        other = {
            "DomainName": self.version.domain,
            "DomainOwner": self.ref.account,
            "RepositoryName": self.version.repository,
            "PackageFormat": self.version.format,
            "PackageNamespace": self.version.namespace or "-",
            "PackageName": self.version.package,
            "PackageVersion": self.version.version,
            "Status": self.status,
            "OriginType": self.origin_type or "-",
            "DomainEntryPoint": self.entry_point,
        }
        return {"Other": {key: value[:1024] for key, value in other.items()}}


class PackageVersionCollector:
    """Reads a package version with DescribePackageVersion."""

    def __init__(self, clients: ClientFactory) -> None:
        self._clients = clients

    def collect(self, ref: ResourceRef) -> PackageVersionSnapshot | None:
        from botocore.exceptions import ClientError

        version = PackageVersionName.parse(ref.name)
        if version is None:
            raise ValueError(f"{ref.name!r} is not <domain>/<repository>/<format>/<namespace>/<package>/<version>")
        request: dict[str, str] = {
            "domain": version.domain,
            "domainOwner": ref.account,
            "repository": version.repository,
            "format": version.format,
            "package": version.package,
            "packageVersion": version.version,
        }
        if version.namespace:
            request["namespace"] = version.namespace
        try:
            described = self._clients.client("codeartifact", ref.region).describe_package_version(**request)
        except ClientError as error:
            if error_code(error) in GONE:
                return None
            raise
        found = described.get("packageVersion") or {}
        status = str(found.get("status", ""))
        if status in UNAVAILABLE_STATUSES:
            return None
        origin = found.get("origin") or {}
        entry = origin.get("domainEntryPoint") or {}
        published = found.get("publishedTime")
        return PackageVersionSnapshot(
            ref=ref,
            version=version,
            display_name=str(found.get("displayName") or version.package),
            status=status,
            origin_type=str(origin.get("originType", "")),
            entry_repository=entry.get("repositoryName"),
            entry_connection=entry.get("externalConnectionName"),
            published=published if isinstance(published, datetime) else None,
            tags={},
        )


def _list_filter(claimed: NamespaceSet) -> dict[str, str]:
    """ListPackages' narrowing for one entry: `namespace` and `packagePrefix` are prefixes (then matched
    exactly here); PyPI names are sent normalised, as the API requires."""
    narrowed = {"format": claimed.format}
    if claimed.namespace and (namespace := literal_prefix(claimed.namespace)):
        narrowed["namespace"] = namespace
    if name := literal_prefix(claimed.name):
        narrowed["packagePrefix"] = name
    return narrowed


def internal_package_versions(clients: ClientFactory, region: str, policy: Policy) -> Iterator[str]:
    """The sweep's inventory: every available version of every package of an internal namespace, in every
    repository of every domain the account owns. An entry whose name starts with a wildcard (`pypi:*-acme`)
    lists every package of its format in each repository."""
    packages = policy.packages
    sets = namespace_sets(packages.internal_namespaces, packages.namespaces())
    if not sets:
        return
    codeartifact: Any = clients.client("codeartifact", region)
    for domain in list(owned_domains(clients, region)):
        for repository in list(domain_repositories(clients, region, domain)):
            where = {"domain": domain, "repository": repository}
            seen: set[PackageCoordinates] = set()
            for claimed in sets:
                for package in _packages(codeartifact, where, claimed):
                    if package not in seen:
                        seen.add(package)
                        yield from _versions(codeartifact, where, package)


def _packages(codeartifact: Any, where: Mapping[str, str], claimed: NamespaceSet) -> Iterator[PackageCoordinates]:
    pages = codeartifact.get_paginator("list_packages").paginate(
        **where, **_list_filter(claimed), PaginationConfig={"PageSize": PAGE}
    )
    for page in pages:
        for summary in page.get("packages", []):
            package = PackageCoordinates.of(str(summary["format"]), summary.get("namespace"), str(summary["package"]))
            if claimed.contains(package):
                yield package


def _versions(codeartifact: Any, where: Mapping[str, str], package: PackageCoordinates) -> Iterator[str]:
    request = {**where, "format": package.format, "package": package.name}
    if package.namespace:
        request["namespace"] = package.namespace
    pages = codeartifact.get_paginator("list_package_versions").paginate(**request, PaginationConfig={"PageSize": PAGE})
    for page in pages:
        for summary in page.get("versions", []):
            if summary.get("status") not in UNAVAILABLE_STATUSES:
                name = PackageVersionName(
                    where["domain"],
                    where["repository"],
                    package.format,
                    package.namespace,
                    package.name,
                    summary["version"],
                )
                yield str(name)


KINDS = (
    Kind(
        CODEARTIFACT_PACKAGE_VERSION,
        collector=lambda collection: PackageVersionCollector(collection.clients),
        collector_reads=(DESCRIBE_PACKAGE_VERSION,),
        policy_inventory=internal_package_versions,
        inventory_reads=(LIST_DOMAINS, LIST_REPOSITORIES_IN_DOMAIN, LIST_PACKAGES, LIST_PACKAGE_VERSIONS),
    ),
)

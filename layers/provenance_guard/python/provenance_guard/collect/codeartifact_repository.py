"""CodeArtifact repositories (PG.PKG.1, PG.PKG.4): upstreams, external connections and resource policy; and
the work a deleted repository stands for (itself and its package versions that still have findings).

`ResourceRef.name` is `<domain>/<repository>`. The sweep lists every repository of every domain the account
owns, whoever administers it. Upstream repositories are always in the repository's own domain (an
UpstreamRepository names only a repository), so they are owned by the domain owner.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.base import ActiveResources, Kind
from provenance_guard.collect.codeartifact import (
    DESCRIBE_ORGANIZATION,
    DESCRIBE_REPOSITORY,
    GET_REPOSITORY_POLICY,
    GONE,
    LIST_DOMAINS,
    LIST_REPOSITORIES_IN_DOMAIN,
    UNREADABLE,
    CodeArtifactReader,
    Organization,
    PolicyReading,
    domain_repositories,
    error_code,
    error_text,
    owned_domains,
    read_policy,
)
from provenance_guard.collect.codeartifact_domain import reader
from provenance_guard.collect.codeartifact_package import CODEARTIFACT_PACKAGE_VERSION, package_arn_prefix
from provenance_guard.model import ArnFormat, ResourceKind, ResourceRef
from provenance_guard.work import Action, Work

logger = logging.getLogger(__name__)


def _repository_from_arn(resource: str) -> str | None:
    parts = resource.split("/")
    return resource if len(parts) == 2 and all(parts) else None


CODEARTIFACT_REPOSITORY = ResourceKind(
    "codeartifact-repository",
    asff_type="Other",
    arn=ArnFormat("codeartifact", "repository/", name_from_arn=_repository_from_arn),
    family="PKG",
)
"""`ResourceRef.name` is `<domain>/<repository>`; the account is the domain owner."""


@dataclass(frozen=True)
class ExternalConnection:
    name: str
    package_format: str
    status: str


@dataclass(frozen=True)
class RepositorySnapshot:
    ref: ResourceRef
    administrator: str
    upstreams: tuple[str, ...]
    """Upstream repository names, in priority order (all in the repository's own domain)."""
    external_connections: tuple[ExternalConnection, ...]
    error: str | None
    """Why DescribeRepository could not be read (the repository exists: ListRepositoriesInDomain lists it)."""
    policy: PolicyReading
    organization: Organization
    tags: Mapping[str, str]
    label: str = "repository"

    @property
    def domain(self) -> str:
        return self.ref.name.partition("/")[0]

    @property
    def repository(self) -> str:
        return self.ref.name.partition("/")[2]

    def asff_details(self) -> dict[str, Any]:
        other = {
            "DomainName": self.domain,
            "DomainOwner": self.ref.account,
            "RepositoryName": self.repository,
            "AdministratorAccount": self.administrator or "-",
            "Upstreams": ", ".join(self.upstreams)[:1024] or "-",
            "ExternalConnections": ", ".join(c.name for c in self.external_connections) or "-",
            "ResourcePolicy": "present" if self.policy.document else ("unreadable" if self.policy.error else "none"),
        }
        return {"Other": other}


class RepositoryCollector:
    """Reads a repository with DescribeRepository and GetRepositoryPermissionsPolicy."""

    def __init__(self, clients: ClientFactory, reader: CodeArtifactReader) -> None:
        self._clients = clients
        self._reader = reader

    def collect(self, ref: ResourceRef) -> RepositorySnapshot | None:
        from botocore.exceptions import ClientError

        domain, _, name = ref.name.partition("/")
        codeartifact = self._clients.client("codeartifact", ref.region)
        where = {"domain": domain, "domainOwner": ref.account, "repository": name}
        try:
            described: Mapping[str, Any] = codeartifact.describe_repository(**where)["repository"]
            error = None
        except ClientError as problem:
            if error_code(problem) in GONE:
                return None
            if error_code(problem) not in UNREADABLE:
                raise
            described, error = {}, error_text(problem)
        connections = tuple(
            ExternalConnection(
                str(c.get("externalConnectionName", "")), str(c.get("packageFormat", "")), str(c.get("status", ""))
            )
            for c in described.get("externalConnections") or ()
        )
        return RepositorySnapshot(
            ref=ref,
            administrator=str(described.get("administratorAccount", "")),
            upstreams=tuple(str(u["repositoryName"]) for u in described.get("upstreams") or ()),
            external_connections=connections,
            error=error,
            policy=read_policy(lambda: codeartifact.get_repository_permissions_policy(**where)),
            organization=self._reader.organization(),
            tags={},
        )


def repository_names(clients: ClientFactory, region: str) -> Iterator[str]:
    """The sweep's inventory: every repository of every domain the account owns (`<domain>/<repository>`)."""
    for domain in list(owned_domains(clients, region)):
        yield from (f"{domain}/{name}" for name in domain_repositories(clients, region, domain))


class RepositoryDeletion:
    """A deleted repository: it and its package versions with ACTIVE findings are archived, or judged again
    when a repository of that name exists by the time the event is handled (events come in no order)."""

    def __init__(self, clients: ClientFactory, state: ActiveResources | None) -> None:
        self._clients = clients
        self._state = state

    def __call__(self, ref: ResourceRef) -> list[Work]:
        if ref.kind is not CODEARTIFACT_REPOSITORY:
            raise ValueError(f"only a CodeArtifact repository expands into its package versions, got {ref.kind}")
        action = Action.EVALUATE if self._exists(ref) else Action.ARCHIVE
        return [Work(action, ref)] + [Work(action, version) for version in self._versions_with_findings(ref)]

    def _exists(self, ref: ResourceRef) -> bool:
        from botocore.exceptions import ClientError

        domain, _, name = ref.name.partition("/")
        try:
            self._clients.client("codeartifact", ref.region).describe_repository(
                domain=domain, domainOwner=ref.account, repository=name
            )
        except ClientError as error:
            if error_code(error) in GONE:
                return False
            raise
        logger.info("repository %s exists again; re-judging it and its package versions", ref.arn)
        return True

    def _versions_with_findings(self, ref: ResourceRef) -> list[ResourceRef]:
        if self._state is None or CODEARTIFACT_PACKAGE_VERSION.arn is None:
            return []  # no table (a read-only CLI run): nothing recorded to archive
        found = []
        for arn in self._state.active_resources(ref.account, ref.region, package_arn_prefix(ref)):
            parts = arn.split(":", 5)
            name = CODEARTIFACT_PACKAGE_VERSION.arn.parse(parts[2], parts[5]) if len(parts) == 6 else None
            if name is not None:
                found.append(replace(ref, kind=CODEARTIFACT_PACKAGE_VERSION, name=name))
        return sorted(found, key=lambda version: version.name)


READ_REPOSITORY = (DESCRIBE_REPOSITORY, GET_REPOSITORY_POLICY, DESCRIBE_ORGANIZATION)

KINDS = (
    Kind(
        CODEARTIFACT_REPOSITORY,
        collector=lambda collection: RepositoryCollector(collection.clients, reader(collection)),
        collector_reads=READ_REPOSITORY,
        expander=lambda collection: RepositoryDeletion(collection.clients, collection.state),
        expander_reads=(DESCRIBE_REPOSITORY,),
        inventory=repository_names,
        inventory_reads=(LIST_DOMAINS, LIST_REPOSITORIES_IN_DOMAIN),
    ),
)

"""What the CodeArtifact collectors share: the reads they declare, the domains of the account, resource
policies as read, and the account's organization (read once per pipeline run).

CodeArtifact resources are judged in the account that owns their domain: the domain, every repository in
it (whoever administers it: ListRepositoriesInDomain) and their package versions. That account is the
account of every CodeArtifact ARN (Service Authorization Reference: `domain/<d>`, `repository/<d>/<r>`,
`package/<d>/<r>/<format>/<namespace>/<name>` name the domain owner), so a `ResourceRef`'s account is always
the domain owner. A repository this account administers in another account's domain is judged by that
owner (docs/decisions/codeartifact-domain-owner.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.base import RunCache

LIST_DOMAINS = "codeartifact:ListDomains"
DESCRIBE_DOMAIN = "codeartifact:DescribeDomain"
GET_DOMAIN_POLICY = "codeartifact:GetDomainPermissionsPolicy"
LIST_PACKAGE_GROUPS = "codeartifact:ListPackageGroups"
LIST_REPOSITORIES_IN_DOMAIN = "codeartifact:ListRepositoriesInDomain"
DESCRIBE_REPOSITORY = "codeartifact:DescribeRepository"
GET_REPOSITORY_POLICY = "codeartifact:GetRepositoryPermissionsPolicy"
LIST_PACKAGES = "codeartifact:ListPackages"
LIST_PACKAGE_VERSIONS = "codeartifact:ListPackageVersions"
DESCRIBE_PACKAGE_VERSION = "codeartifact:DescribePackageVersion"
DESCRIBE_ORGANIZATION = "organizations:DescribeOrganization"
PAGE = 1000
"""The largest `maxResults` every CodeArtifact list operation accepts: the fewest calls for a large domain."""
GONE = frozenset({"ResourceNotFoundException"})
UNREADABLE = frozenset({"AccessDeniedException", "AccessDenied"})


def error_text(error: Any) -> str:
    details = error.response.get("Error", {})
    return f"{details.get('Code', '?')}: {details.get('Message', '')}".rstrip(": ")


def error_code(error: Any) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@dataclass(frozen=True)
class PolicyReading:
    """A domain's or repository's resource policy as read: its JSON document, none (`document` and `error`
    None: only IAM identity policies grant access), or why it could not be read."""

    document: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Organization:
    """The account's AWS Organizations organization: its id, or None with why (not a member, not readable)."""

    id: str | None
    note: str


def read_policy(read: Callable[[], dict[str, Any]]) -> PolicyReading:
    """A Get*PermissionsPolicy call: ResourceNotFoundException means the resource has no policy (or is gone:
    the caller found it moments ago, and a policy cannot outlive its resource)."""
    from botocore.exceptions import ClientError

    try:
        response = read()
    except ClientError as error:
        if error_code(error) in GONE:
            return PolicyReading()
        if error_code(error) in UNREADABLE:
            return PolicyReading(error=error_text(error))
        raise
    document = (response.get("policy") or {}).get("document")
    return PolicyReading(document=str(document) if document else None)


class CodeArtifactReader:
    """The reads several CodeArtifact collectors need, at most once per pipeline run."""

    def __init__(self, clients: ClientFactory, run: RunCache | None = None) -> None:
        self._clients = clients
        self._run = run or RunCache()

    def organization(self) -> Organization:
        return self._run.once((CodeArtifactReader, "organization"), self._organization)

    def _organization(self) -> Organization:
        from botocore.exceptions import ClientError

        try:
            organization = self._clients.client("organizations").describe_organization()["Organization"]
        except ClientError as error:
            if error_code(error) == "AWSOrganizationsNotInUseException":
                return Organization(None, "the account is not a member of an organization")
            if error_code(error) in UNREADABLE:
                return Organization(None, f"the organization cannot be read ({error_text(error)})")
            raise
        return Organization(str(organization["Id"]), f"organization {organization['Id']}")


def owned_domains(clients: ClientFactory, region: str) -> Iterator[str]:
    """The domains the account owns in the Region (ListDomains lists only the caller's), paged."""
    codeartifact: Any = clients.client("codeartifact", region)
    for page in codeartifact.get_paginator("list_domains").paginate(PaginationConfig={"PageSize": PAGE}):
        yield from (domain["name"] for domain in page.get("domains", []) if domain.get("status") != "Deleted")


def domain_repositories(clients: ClientFactory, region: str, domain: str) -> Iterator[str]:
    """The names of every repository in one of the account's domains, whoever administers it, paged."""
    codeartifact: Any = clients.client("codeartifact", region)
    pages = codeartifact.get_paginator("list_repositories_in_domain").paginate(
        domain=domain, PaginationConfig={"PageSize": PAGE}
    )
    for page in pages:
        yield from (repository["name"] for repository in page.get("repositories", []))

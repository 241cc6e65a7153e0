"""CodeArtifact domains and repositories (upstreams, external connections).

Each handler takes the request's parsed parameters (member names as in the botocore model) and
returns the response members.
"""

from __future__ import annotations

import uuid
from typing import Any

from .codeartifact_groups import add_root_group, forget_repository
from .codeartifact_model import (
    CodeArtifactBackend,
    ConflictException,
    Domain,
    Repository,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ValidationException,
    all_domains,
    codeartifact_backends,
    find_domain,
    paginate,
)
from .codeartifact_names import EXTERNAL_CONNECTIONS

MAX_DIRECT_UPSTREAMS = 10


def _domain(backend: CodeArtifactBackend, params: dict[str, Any]) -> Domain:
    return find_domain(backend, params["domain"], params.get("domainOwner"))


# --- domains ------------------------------------------------------------------------------------------


def _encryption_key(backend: CodeArtifactBackend, key: str | None) -> str:
    """The key's ARN: given as an ARN, a key id or an alias; without one, a key standing in for the AWS
    managed ``aws/codeartifact`` key."""
    prefix = f"arn:{backend.partition}:kms:{backend.region_name}:{backend.account_id}"
    if not key:
        return f"{prefix}:key/{uuid.uuid4()}"
    if key.startswith("arn:"):
        return key
    return f"{prefix}:{key}" if key.startswith("alias/") else f"{prefix}:key/{key}"


def describe_domain_record(domain: Domain) -> dict[str, Any]:
    return {
        "name": domain.name,
        "owner": domain.owner,
        "arn": domain.domain_arn,
        "status": "Active",
        "createdTime": domain.created,
        "encryptionKey": domain.encryption_key,
        "repositoryCount": len(domain.repositories),
        "assetSizeBytes": sum(
            asset.get("size") or 0
            for repository in domain.repositories.values()
            for package in repository.packages.values()
            for version in package.versions.values()
            for asset in version.assets
        ),
    }


def create_domain(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    name = params["domain"]
    if name in backend.domains:
        raise ConflictException(f"Domain '{name}' already exists in account {backend.account_id}.", "domain", name)
    domain = Domain(
        name=name,
        owner=backend.account_id,
        region=backend.region_name,
        partition=backend.partition,
        encryption_key=_encryption_key(backend, params.get("encryptionKey")),
        tags=list(params.get("tags") or []),
    )
    add_root_group(domain)
    backend.domains[name] = domain
    return {"domain": describe_domain_record(domain)}


def describe_domain(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    return {"domain": describe_domain_record(_domain(backend, params))}


def list_domains(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    summaries = [
        {key: record[key] for key in ("name", "owner", "arn", "status", "createdTime", "encryptionKey")}
        for record in (describe_domain_record(domain) for _, domain in sorted(backend.domains.items()))
    ]
    page, token = paginate(summaries, params)
    return {"domains": page, "nextToken": token}


def delete_domain(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    domain = _domain(backend, params)
    if domain.repositories:
        raise ConflictException(
            f"Domain '{domain.name}' still contains repositories {sorted(domain.repositories)}; delete them first.",
            "domain",
            domain.name,
        )
    description = describe_domain_record(domain)
    del codeartifact_backends[domain.owner][backend.region_name].domains[domain.name]
    description["status"] = "Deleted"
    return {"domain": description}


# --- repositories ---------------------------------------------------------------------------------------


def describe_repository_record(domain: Domain, repository: Repository) -> dict[str, Any]:
    connection = repository.external_connection
    connections = [
        {"externalConnectionName": name, "packageFormat": EXTERNAL_CONNECTIONS[name], "status": "Available"}
        for name in ([connection] if connection else [])
    ]
    return {
        **repository_summary(domain, repository),
        "upstreams": [{"repositoryName": name} for name in repository.upstreams],
        "externalConnections": connections,
    }


def repository_summary(domain: Domain, repository: Repository) -> dict[str, Any]:
    return {
        "name": repository.name,
        "administratorAccount": repository.administrator,
        "domainName": domain.name,
        "domainOwner": domain.owner,
        "arn": repository.arn,
        "description": repository.description,
        "createdTime": repository.created,
    }


def upstream_closure(domain: Domain, repository: Repository) -> list[Repository]:
    """The repositories a request to `repository` searches after it, in CodeArtifact's order (depth first:
    an upstream, then its own upstreams, then the next upstream)."""
    found: list[Repository] = []

    def visit(current: Repository) -> None:
        for name in current.upstreams:
            upstream = domain.repositories.get(name)
            if upstream is not None and upstream not in found:
                found.append(upstream)
                visit(upstream)

    visit(repository)
    return found


def _set_upstreams(domain: Domain, repository: Repository, requested: list[dict[str, Any]]) -> None:
    names = [item["repositoryName"] for item in requested]
    if len(names) > MAX_DIRECT_UPSTREAMS:
        raise ServiceQuotaExceededException(
            f"A repository can have at most {MAX_DIRECT_UPSTREAMS} direct upstream repositories.",
            "repository",
            repository.name,
        )
    if len(set(names)) != len(names):
        raise ValidationException(f"The upstream repositories {names} list a repository more than once.")
    if names and repository.external_connection:
        raise ValidationException(
            f"Repository '{repository.name}' has the external connection '{repository.external_connection}'; "
            "a repository can have upstream repositories or an external connection, not both."
        )
    for name in names:
        if name == repository.name:
            raise ValidationException(f"Repository '{name}' cannot be its own upstream repository.")
        domain.repository(name)
    previous, repository.upstreams = repository.upstreams, names
    if repository in upstream_closure(domain, repository):
        repository.upstreams = previous
        raise ValidationException(f"The upstream repositories {names} would make '{repository.name}' its own upstream.")


def create_repository(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    domain = _domain(backend, params)
    name = params["repository"]
    if name in domain.repositories:
        raise ConflictException(f"Repository '{name}' already exists in domain '{domain.name}'.", "repository", name)
    repository = Repository(
        name=name,
        administrator=backend.account_id,
        arn=domain.repository_arn(name),
        description=params.get("description"),
        tags=list(params.get("tags") or []),
    )
    _set_upstreams(domain, repository, params.get("upstreams") or [])
    domain.repositories[name] = repository
    return {"repository": describe_repository_record(domain, repository)}


def update_repository(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    domain = _domain(backend, params)
    repository = domain.repository(params["repository"])
    if params.get("upstreams") is not None:
        _set_upstreams(domain, repository, params["upstreams"])
    if params.get("description") is not None:
        repository.description = params["description"]
    return {"repository": describe_repository_record(domain, repository)}


def describe_repository(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    domain = _domain(backend, params)
    return {"repository": describe_repository_record(domain, domain.repository(params["repository"]))}


def _listed(repositories: list[tuple[Domain, Repository]], params: dict[str, Any]) -> dict[str, Any]:
    prefix = params.get("repositoryPrefix") or ""
    summaries = [
        repository_summary(domain, repository)
        for domain, repository in sorted(repositories, key=lambda item: (item[0].name, item[1].name))
        if repository.name.startswith(prefix)
    ]
    page, token = paginate(summaries, params)
    return {"repositories": page, "nextToken": token}


def list_repositories(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    """Repositories the caller administers, in any domain of the region."""
    mine = [
        (domain, repository)
        for domain in all_domains(backend.region_name)
        for repository in domain.repositories.values()
        if repository.administrator == backend.account_id
    ]
    return _listed(mine, params)


def list_repositories_in_domain(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    domain = _domain(backend, params)
    administrator = params.get("administratorAccount")
    repositories = [
        (domain, repository)
        for repository in domain.repositories.values()
        if administrator is None or repository.administrator == administrator
    ]
    return _listed(repositories, params)


def delete_repository(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    domain = _domain(backend, params)
    repository = domain.repository(params["repository"])
    description = describe_repository_record(domain, repository)
    del domain.repositories[repository.name]
    for other in domain.repositories.values():
        if repository.name in other.upstreams:
            other.upstreams.remove(repository.name)
    forget_repository(domain, repository.name)
    return {"repository": description}


def associate_external_connection(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    domain = _domain(backend, params)
    repository = domain.repository(params["repository"])
    connection = params["externalConnection"]
    if connection not in EXTERNAL_CONNECTIONS:
        raise ValidationException(
            f"'{connection}' is not an external connection; use one of {sorted(EXTERNAL_CONNECTIONS)}."
        )
    if repository.external_connection:
        raise ValidationException(
            f"ExternalConnections for repositories are currently limited to 1; '{repository.name}' already has "
            f"'{repository.external_connection}'."
        )
    if repository.upstreams:
        raise ValidationException(
            f"Repository '{repository.name}' has upstream repositories {repository.upstreams}; a repository can "
            "have upstream repositories or an external connection, not both."
        )
    repository.external_connection = connection
    return {"repository": describe_repository_record(domain, repository)}


def disassociate_external_connection(backend: CodeArtifactBackend, params: dict[str, Any]) -> dict[str, Any]:
    domain = _domain(backend, params)
    repository = domain.repository(params["repository"])
    connection = params["externalConnection"]
    if repository.external_connection != connection:
        raise ResourceNotFoundException(
            f"Repository '{repository.name}' has no external connection '{connection}'.", "repository", repository.name
        )
    repository.external_connection = None
    return {"repository": describe_repository_record(domain, repository)}

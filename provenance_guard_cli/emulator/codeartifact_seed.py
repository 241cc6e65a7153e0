"""Package versions put into repositories as package managers and external connections would.

For the formats published and fetched through package-manager endpoints (npm, PyPI, Maven, NuGet, ...)
AWS has no publish API; :func:`seed_package_version` stands in for them: in-process, or over HTTP
at :data:`SEED_PATH` (``POST`` a JSON object: ``domain``, ``repository``, ``format``, ``namespace``?,
``package``, ``version``, ``status``? (default Published), ``origin``? (a PackageVersionOrigin:
``{"originType": INTERNAL | EXTERNAL | UNKNOWN, "domainEntryPoint": {"repositoryName" |
"externalConnectionName"}}``, default INTERNAL into ``repository``), ``publishedTime``? (ISO-8601),
``region``? (default us-east-1), ``account``? (the domain owner, default moto's)).

A seeded version is stored where CodeArtifact would keep it and only if the domain lets it in: an
INTERNAL version published to the entry repository (and retained by ``repository`` when that is a
downstream one), an EXTERNAL version ingested by the repository holding the external connection (and
retained downstream). Each step must pass the package group's origin restrictions (``PUBLISH``,
``EXTERNAL_UPSTREAM``, ``INTERNAL_UPSTREAM``) and the package's own origin configuration; otherwise
nothing is stored and the endpoint answers 409 (:class:`.codeartifact_groups.OriginBlocked`).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.moto_api._internal import urls as moto_api_urls

from .codeartifact_groups import check_origin
from .codeartifact_model import (
    CodeArtifactError,
    ConflictException,
    Domain,
    Package,
    PackageVersion,
    Repository,
    ResourceNotFoundException,
    ValidationException,
    codeartifact_backends,
    now,
    revision,
)
from .codeartifact_names import (
    EXTERNAL_CONNECTIONS,
    FORMATS,
    Coordinates,
    display_name,
    namespace_problem,
    stored_name,
    stored_namespace,
)
from .codeartifact_packages import describe_version_record
from .codeartifact_store import upstream_closure
from .codeartifact_validation import pattern_check
from .patches import add_url_path

SEED_PATH = "/moto-api/provenance-guard/codeartifact/package-versions"
SEEDABLE_STATUSES = ("Published", "Unfinished", "Unlisted", "Archived", "Disposed")
ORIGIN_TYPES = ("INTERNAL", "EXTERNAL", "UNKNOWN")
# The package's own origin configuration CodeArtifact gives a package whose first version arrived this way.
DEFAULT_CONFIGURATION: dict[str | None, tuple[str, str]] = {
    "PUBLISH": ("ALLOW", "BLOCK"),
    "EXTERNAL_UPSTREAM": ("BLOCK", "ALLOW"),
    "INTERNAL_UPSTREAM": ("BLOCK", "ALLOW"),
    None: ("ALLOW", "ALLOW"),
}


Step = tuple[Repository, str | None]
"""A repository the version is stored in and the origin restriction it must pass to get there."""


def _route(
    domain: Domain, target: Repository, origin_type: str, entry_repository: str | None, connection: str | None
) -> list[Step]:
    """Where the version is stored, entry point first."""
    if origin_type == "UNKNOWN":
        if entry_repository or connection:
            raise ValidationException("A version of UNKNOWN origin has no domain entry point.")
        return [(target, None)]
    if origin_type == "INTERNAL":
        if connection:
            raise ValidationException("An INTERNAL version enters the domain through a repository, not a connection.")
        entry = domain.repository(entry_repository or target.name)
        if entry is not target and entry not in upstream_closure(domain, target):
            raise ValidationException(f"Repository '{entry.name}' is not an upstream of '{target.name}'.")
        steps: list[Step] = [(entry, "PUBLISH")]
        return steps + ([(target, "INTERNAL_UPSTREAM")] if entry is not target else [])
    if entry_repository or not connection:
        raise ValidationException("An EXTERNAL version enters the domain through an externalConnectionName.")
    holder = next(
        (repo for repo in [target, *upstream_closure(domain, target)] if repo.external_connection == connection), None
    )
    if holder is None:
        raise ValidationException(
            f"Neither '{target.name}' nor any of its upstream repositories has the external connection '{connection}'."
        )
    ingested: list[Step] = [(holder, "EXTERNAL_UPSTREAM")]
    return ingested + ([(target, "INTERNAL_UPSTREAM")] if holder is not target else [])


def _check_seed(package_format: str, namespace: str | None, version: str, status: str, origin_type: str) -> None:
    if package_format not in FORMATS:
        raise ValidationException(f"format must be one of {list(FORMATS)}, not '{package_format}'.")
    if status not in SEEDABLE_STATUSES or origin_type not in ORIGIN_TYPES:
        raise ValidationException(f"status must be one of {SEEDABLE_STATUSES}, originType one of {ORIGIN_TYPES}.")
    problem = namespace_problem(package_format, namespace)
    if problem:
        raise ValidationException(problem)
    if not pattern_check(r"[^#/\s]+")(version):
        raise ValidationException(f"'{version}' is not a package version.")


def seed_package_version(
    domain: str,
    repository: str,
    package_format: str,
    package: str,
    version: str,
    *,
    namespace: str | None = None,
    origin_type: str = "INTERNAL",
    entry_repository: str | None = None,
    external_connection: str | None = None,
    status: str = "Published",
    published_time: datetime | None = None,
    region: str = "us-east-1",
    account: str = DEFAULT_ACCOUNT_ID,
) -> dict[str, Any]:
    """Put a package version into a repository as a package manager would (see the module docstring).
    Returns its package ARN and its DescribePackageVersion shape in `repository`."""
    _check_seed(package_format, namespace, version, status, origin_type)
    if external_connection and EXTERNAL_CONNECTIONS.get(external_connection) != package_format:
        raise ValidationException(f"'{external_connection}' does not serve {package_format} packages.")
    found = codeartifact_backends[account][region].domains.get(domain)
    if found is None:
        raise ResourceNotFoundException(f"Domain '{domain}' not found in account {account}.", "domain", domain)
    target = found.repository(repository)
    coordinates = (package_format, stored_namespace(package_format, namespace), stored_name(package_format, package))
    steps = _route(found, target, origin_type, entry_repository, external_connection)
    if _holds(target, coordinates, version):
        raise ConflictException(f"Version '{version}' already exists in '{repository}'.", "package-version", version)
    pending = [(repo, restriction) for repo, restriction in steps if not _holds(repo, coordinates, version)]
    for repo, restriction in pending:
        if restriction is not None:
            check_origin(found, coordinates, repo.name, restriction)
    if published_time is not None and published_time.tzinfo is None:
        published_time = published_time.replace(tzinfo=UTC)
    record = PackageVersion(
        version,
        status,
        origin_type,
        steps[0][0].name if origin_type == "INTERNAL" else None,
        external_connection if origin_type == "EXTERNAL" else None,
        display_name(package_format, coordinates[1], package),
        published=published_time or now(),
        revision=revision(),
    )
    for repo, restriction in pending:
        publish, upstream = DEFAULT_CONFIGURATION[restriction]
        stored = repo.packages.setdefault(coordinates, Package(coordinates, publish, upstream))
        stored.versions[version] = dataclasses.replace(record, assets=list(record.assets))
    package_record = target.packages[coordinates]
    return {
        "packageArn": found.package_arn(target.name, coordinates),
        "packageVersion": describe_version_record(package_record, package_record.versions[version]),
    }


def _holds(repository: Repository, coordinates: Coordinates, version: str) -> bool:
    package = repository.packages.get(coordinates)
    return package is not None and version in package.versions


def seed_endpoint(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    json_headers = {"Content-Type": "application/json"}
    if request.method != "POST":
        return 405, json_headers, json.dumps({"error": "POST a package version"})
    try:
        spec = json.loads(request.data or b"{}")
        origin = spec.get("origin") or {}
        entry = origin.get("domainEntryPoint") or {}
        published = spec.get("publishedTime")
        seeded = seed_package_version(
            str(spec["domain"]),
            str(spec["repository"]),
            str(spec["format"]),
            str(spec["package"]),
            str(spec["version"]),
            namespace=spec.get("namespace"),
            origin_type=str(origin.get("originType", "INTERNAL")),
            entry_repository=entry.get("repositoryName"),
            external_connection=entry.get("externalConnectionName"),
            status=str(spec.get("status", "Published")),
            published_time=datetime.fromisoformat(published.replace("Z", "+00:00")) if published else None,
            region=str(spec.get("region", "us-east-1")),
            account=str(spec.get("account", DEFAULT_ACCOUNT_ID)),
        )
    except CodeArtifactError as error:
        return error.status, json_headers, json.dumps({"error": error.code, "message": error.message})
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        return 400, json_headers, json.dumps({"error": "InvalidSeed", "message": f"invalid package version: {error!r}"})
    described = seeded["packageVersion"]
    described["publishedTime"] = described["publishedTime"].isoformat()
    return 200, json_headers, json.dumps(seeded)


def install() -> None:
    add_url_path(moto_api_urls.url_paths, "{0}" + SEED_PATH + "$", seed_endpoint)

"""CodeArtifact state the emulator keeps per account and region, its errors and request validation.

Domains live in the backend of the account that owns them; repositories (whoever administers them),
package groups and packages live in their domain. moto creates and resets the backends like its own.
See :mod:`.codeartifact` for what is modelled and what is not.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from moto.core.base_backend import BackendDict, BaseBackend
from moto.core.exceptions import ServiceException

from .codeartifact_names import Coordinates, namespace_problem, requested

SERVICE = "codeartifact"
RESTRICTION_TYPES = ("EXTERNAL_UPSTREAM", "INTERNAL_UPSTREAM", "PUBLISH")
ROOT_PATTERN = "/*"


class CodeArtifactError(ServiceException):
    """Serialised with the codeartifact model; ``status`` repeats the model's HTTP code for the emulator's
    own control endpoint."""

    status = 400


class ValidationException(CodeArtifactError):
    code = "ValidationException"

    def __init__(self, message: str, reason: str = "FIELD_VALIDATION_FAILED") -> None:
        super().__init__(message)
        self.reason = reason


class _ResourceError(CodeArtifactError):
    def __init__(self, message: str, resource_type: str | None = None, resource_id: str | None = None) -> None:
        super().__init__(message)
        self.resourceType = resource_type
        self.resourceId = resource_id


class ResourceNotFoundException(_ResourceError):
    code = "ResourceNotFoundException"
    status = 404


class ConflictException(_ResourceError):
    code = "ConflictException"
    status = 409


class ServiceQuotaExceededException(_ResourceError):
    code = "ServiceQuotaExceededException"
    status = 402


class AccessDeniedException(CodeArtifactError):
    code = "AccessDeniedException"
    status = 403


def now() -> datetime:
    return datetime.now(UTC)


def revision() -> str:
    return base64.b64encode(secrets.token_bytes(24)).decode()


def request_coordinates(params: dict[str, Any], *, normalise: bool = True) -> Coordinates:
    """A package named by a request (``format``, ``namespace``, ``package``); the namespace must be there
    exactly for the formats that have one."""
    package_format, namespace, name = params["format"], params.get("namespace"), params["package"]
    problem = namespace_problem(package_format, namespace)
    if problem:
        raise ValidationException(problem)
    return requested(package_format, namespace, name) if normalise else (package_format, namespace or "", name)


def paginate(items: list[Any], params: dict[str, Any], default_size: int = 100) -> tuple[list[Any], str | None]:
    token = params.get("nextToken")
    try:
        start = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("offset:")) if token else 0
    except (ValueError, binascii.Error):
        raise ValidationException(f"The pagination token '{token}' is not valid.") from None
    end = start + int(params.get("maxResults") or default_size)
    next_token = base64.urlsafe_b64encode(f"offset:{end}".encode()).decode() if end < len(items) else None
    return items[start:end], next_token


# --- resources ----------------------------------------------------------------------------------------


@dataclass
class Policy:
    resource_arn: str
    document: str
    revision: str = field(default_factory=revision)

    def describe(self) -> dict[str, Any]:
        return {"resourceArn": self.resource_arn, "revision": self.revision, "document": self.document}


@dataclass
class PackageVersion:
    version: str
    status: str
    origin_type: str
    entry_repository: str | None
    entry_connection: str | None
    display_name: str
    published: datetime = field(default_factory=now)
    revision: str = field(default_factory=revision)
    assets: list[dict[str, Any]] = field(default_factory=list)

    def origin(self) -> dict[str, Any]:
        entry = {
            key: value
            for key, value in (
                ("repositoryName", self.entry_repository),
                ("externalConnectionName", self.entry_connection),
            )
            if value
        }
        return {"originType": self.origin_type, **({"domainEntryPoint": entry} if entry else {})}


@dataclass
class Package:
    coordinates: Coordinates
    publish: str
    upstream: str
    versions: dict[str, PackageVersion] = field(default_factory=dict)

    def origin_configuration(self) -> dict[str, Any]:
        return {"restrictions": {"publish": self.publish, "upstream": self.upstream}}


@dataclass(eq=False)
class Repository:
    name: str
    administrator: str
    arn: str
    description: str | None = None
    upstreams: list[str] = field(default_factory=list)
    external_connection: str | None = None
    created: datetime = field(default_factory=now)
    tags: list[dict[str, str]] = field(default_factory=list)
    policy: Policy | None = None
    packages: dict[Coordinates, Package] = field(default_factory=dict)


@dataclass(eq=False)
class PackageGroup:
    pattern: str
    arn: str
    contact_info: str | None = None
    description: str | None = None
    created: datetime = field(default_factory=now)
    tags: list[dict[str, str]] = field(default_factory=list)
    modes: dict[str, str] = field(default_factory=lambda: dict.fromkeys(RESTRICTION_TYPES, "INHERIT"))
    allowed: dict[str, list[str]] = field(default_factory=lambda: {kind: [] for kind in RESTRICTION_TYPES})


@dataclass(eq=False)
class Domain:
    name: str
    owner: str
    region: str
    partition: str
    encryption_key: str
    created: datetime = field(default_factory=now)
    tags: list[dict[str, str]] = field(default_factory=list)
    policy: Policy | None = None
    repositories: dict[str, Repository] = field(default_factory=dict)
    groups: dict[str, PackageGroup] = field(default_factory=dict)

    def arn(self, resource: str) -> str:
        return f"arn:{self.partition}:codeartifact:{self.region}:{self.owner}:{resource}"

    @property
    def domain_arn(self) -> str:
        return self.arn(f"domain/{self.name}")

    def repository_arn(self, repository: str) -> str:
        return self.arn(f"repository/{self.name}/{repository}")

    def package_group_arn(self, pattern: str) -> str:
        """``package-group/<domain><pattern>``, the pattern percent-encoded except ``/`` and ``~``
        (``/npm/*`` -> ``/npm/%2a``, ``$`` -> ``%24``, ``%`` -> ``%25``)."""
        encoded = re.sub(r"%[0-9A-F]{2}", lambda escape: escape.group(0).lower(), quote(pattern, safe="/~"))
        return self.arn(f"package-group/{self.name}{encoded.replace('*', '%2a')}")

    def package_arn(self, repository: str, coordinates: Coordinates) -> str:
        package_format, namespace, name = coordinates
        return self.arn(f"package/{self.name}/{repository}/{package_format}/{namespace}/{name}")

    def repository(self, name: str) -> Repository:
        found = self.repositories.get(name)
        if found is None:
            raise ResourceNotFoundException(
                f"Repository '{name}' not found in domain '{self.name}' owned by {self.owner}.", "repository", name
            )
        return found

    def group(self, pattern: str) -> PackageGroup:
        found = self.groups.get(pattern)
        if found is None:
            raise ResourceNotFoundException(f"Package group '{pattern}' not found in domain '{self.name}'.")
        return found


class CodeArtifactBackend(BaseBackend):
    """The domains one account owns in one region. ``urls`` come from :mod:`.codeartifact`."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.domains: dict[str, Domain] = {}

    @property
    def _url_module(self) -> Any:
        # moto derives the urls module from the backend's module name; ours lives elsewhere.
        return importlib.import_module(f"{__package__}.codeartifact")


codeartifact_backends: BackendDict[CodeArtifactBackend] = BackendDict(CodeArtifactBackend, SERVICE)


def find_domain(caller: CodeArtifactBackend, name: str, owner: str | None) -> Domain:
    """The domain `name` of `owner` (default: the caller's account) in the caller's region."""
    account = owner or caller.account_id
    domain = codeartifact_backends[account][caller.region_name].domains.get(name)
    if domain is None:
        raise ResourceNotFoundException(f"Domain '{name}' not found in account {account}.", "domain", name)
    return domain


def all_domains(region: str) -> list[Domain]:
    """Every domain in `region`, of every account the emulator has seen."""
    return [
        domain
        for _, backend_region, backend in codeartifact_backends.iter_backends()
        if backend_region == region and isinstance(backend, CodeArtifactBackend)
        for domain in backend.domains.values()
    ]

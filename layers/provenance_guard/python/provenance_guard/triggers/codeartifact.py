"""CodeArtifact events -> work (CONTROLS.md §6.2): package version state changes (PG.PKG.3) and the CloudTrail
calls that change a repository's sources or policy (PG.PKG.1, PG.PKG.4), a domain's package groups or
policy (PG.PKG.2, PG.PKG.4), or delete them.

CodeArtifact resources are judged in the account that owns their domain (`collect.codeartifact`). AWS sends a
package version event to the domain owner and to the repository's administrator, and a CloudTrail record to
the caller, the administrator and the domain owner (User Guide, "CodeArtifact event format and example",
"Logging CodeArtifact API calls with AWS CloudTrail"): an event about another account's domain asks for no
work here.

CloudTrail names the API's request members (`domain`, `repository`); the User Guide's own CloudTrail
examples write `domainName` and `repositoryName`: both are read. Every event is evaluated, deletions too:
the collector finds a deleted resource gone and its findings are archived; one created again since is judged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from provenance_guard.collect.codeartifact_domain import CODEARTIFACT_DOMAIN
from provenance_guard.collect.codeartifact_names import PackageCoordinates, PackageVersionName
from provenance_guard.collect.codeartifact_package import CODEARTIFACT_PACKAGE_VERSION
from provenance_guard.collect.codeartifact_repository import CODEARTIFACT_REPOSITORY
from provenance_guard.model import ResourceRef
from provenance_guard.triggers.base import Envelope, Trigger, nested, required
from provenance_guard.work import Action, EventError, Work

logger = logging.getLogger(__name__)

FUNCTION = "package_events"
REPOSITORY_CONTROLS = frozenset({"PG.PKG.1", "PG.PKG.4"})
POLICY_CONTROLS = frozenset({"PG.PKG.4"})
GROUP_CONTROLS = frozenset({"PG.PKG.2"})
VERSION_CONTROLS = frozenset({"PG.PKG.3"})
DOMAIN_NAME = re.compile(r"^[a-z][a-z0-9\-]{0,48}[a-z0-9]$")
REPOSITORY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{1,99}$")
PACKAGE_PART = re.compile(r"^[^#/\s]{1,255}$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
FORMATS = frozenset({"npm", "pypi", "maven", "nuget", "generic", "ruby", "swift", "cargo"})
"""botocore's PackageFormat."""


def _checked(value: str, pattern: re.Pattern[str], what: str) -> str:
    if not pattern.match(value):
        raise EventError(f"{value!r} is not a CodeArtifact {what}")
    return value


def _owner_is_account(owner: str, envelope: Envelope, what: str) -> bool:
    if not ACCOUNT_ID.match(owner):
        raise EventError(f"the domain owner {owner!r} is not a 12-digit account id")
    if owner != envelope.account:
        logger.info("%s is in a domain of %s; that account judges it, not %s", what, owner, envelope.account)
        return False
    return True


def package_version_state_change(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """A version created, changed (status, assets) or deleted: judge it again (a deleted, archived or
    disposed version is found gone and its findings archived)."""
    if not _owner_is_account(required(detail, "domainOwner"), envelope, "a package version"):
        return []
    domain = _checked(required(detail, "domainName"), DOMAIN_NAME, "domain name")
    repository = _checked(required(detail, "repositoryName"), REPOSITORY_NAME, "repository name")
    package_format = required(detail, "packageFormat")
    if package_format not in FORMATS:
        raise EventError(f"detail.packageFormat {package_format!r} is not a CodeArtifact package format")
    namespace = nested(detail, "packageNamespace")
    if namespace is not None and (not isinstance(namespace, str) or (namespace and not PACKAGE_PART.match(namespace))):
        raise EventError(f"detail.packageNamespace {namespace!r} is not a package namespace")
    package = _checked(required(detail, "packageName"), PACKAGE_PART, "package name")
    version = _checked(required(detail, "packageVersion"), PACKAGE_PART, "package version")
    coordinates = PackageCoordinates.of(package_format, namespace or None, package)
    name = PackageVersionName(domain, repository, coordinates.format, coordinates.namespace, coordinates.name, version)
    return [Work(Action.EVALUATE, envelope.ref(CODEARTIFACT_PACKAGE_VERSION, str(name)), VERSION_CONTROLS)]


def _parameter(detail: Mapping[str, Any], *names: str) -> str:
    """The first of `names` in requestParameters (the API's member name, then the User Guide's)."""
    parameters = nested(detail, "requestParameters")
    if not isinstance(parameters, Mapping):
        raise EventError("detail.requestParameters is missing")
    for name in names:
        value = parameters.get(name)
        if value is not None:
            if not isinstance(value, str) or not value:
                raise EventError(f"detail.requestParameters.{name} is not a non-empty string")
            return value
    raise EventError(f"detail.requestParameters has no {' or '.join(names)}")


def _domain_ref(detail: Mapping[str, Any], envelope: Envelope) -> ResourceRef | None:
    domain = _checked(_parameter(detail, "domain", "domainName"), DOMAIN_NAME, "domain name")
    parameters = nested(detail, "requestParameters")
    owner = parameters.get("domainOwner") if isinstance(parameters, Mapping) else None
    # Without domainOwner the call named a domain of the caller's own account.
    caller = nested(detail, "userIdentity", "accountId")
    owner = owner or (caller if isinstance(caller, str) and caller else envelope.account)
    if not _owner_is_account(str(owner), envelope, f"domain {domain}"):
        return None
    return envelope.ref(CODEARTIFACT_DOMAIN, domain)


def _repository_ref(detail: Mapping[str, Any], envelope: Envelope) -> ResourceRef | None:
    domain = _domain_ref(detail, envelope)
    if domain is None:
        return None
    repository = _checked(_parameter(detail, "repository", "repositoryName"), REPOSITORY_NAME, "repository name")
    return envelope.ref(CODEARTIFACT_REPOSITORY, f"{domain.name}/{repository}")


def repository_call(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """A repository's sources (upstreams, external connection) or policy changed: PG.PKG.1, PG.PKG.4."""
    ref = _repository_ref(detail, envelope)
    return [Work(Action.EVALUATE, ref, REPOSITORY_CONTROLS)] if ref else []


def repository_deleted(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """The repository and its package versions with findings: archived, unless it exists again."""
    ref = _repository_ref(detail, envelope)
    return [Work(Action.EXPAND, ref)] if ref else []


def domain_policy_call(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    ref = _domain_ref(detail, envelope)
    return [Work(Action.EVALUATE, ref, POLICY_CONTROLS)] if ref else []


def package_group_call(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """A package group created, deleted or re-configured (or a package's own origin configuration set):
    the domain's internal namespaces are judged again (PG.PKG.2)."""
    ref = _domain_ref(detail, envelope)
    return [Work(Action.EVALUATE, ref, GROUP_CONTROLS)] if ref else []


def domain_call(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """A domain created (its root group allows every origin) or deleted (archived)."""
    ref = _domain_ref(detail, envelope)
    return [Work(Action.EVALUATE, ref)] if ref else []


TRIGGERS = (
    Trigger(
        "CodeArtifactPackageVersionStateChange",
        "CodeArtifact package version created, changed or deleted (PG.PKG.3)",
        FUNCTION,
        source="aws.codeartifact",
        detail_type="CodeArtifact Package Version State Change",
        parse=package_version_state_change,
    ),
    Trigger(
        "CodeArtifactConfigurationCalls",
        "CloudTrail CodeArtifact calls that change repository sources, package groups or resource policies",
        FUNCTION,
        source="aws.codeartifact",
        calls={
            "CreateDomain": domain_call,
            "DeleteDomain": domain_call,
            "CreateRepository": repository_call,
            "UpdateRepository": repository_call,
            "DeleteRepository": repository_deleted,
            "AssociateExternalConnection": repository_call,
            "DisassociateExternalConnection": repository_call,
            "PutRepositoryPermissionsPolicy": repository_call,
            "DeleteRepositoryPermissionsPolicy": repository_call,
            "PutDomainPermissionsPolicy": domain_policy_call,
            "DeleteDomainPermissionsPolicy": domain_policy_call,
            "CreatePackageGroup": package_group_call,
            "UpdatePackageGroupOriginConfiguration": package_group_call,
            "DeletePackageGroup": package_group_call,
            "PutPackageOriginConfiguration": package_group_call,
        },
    ),
)

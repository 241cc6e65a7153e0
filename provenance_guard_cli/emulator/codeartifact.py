"""AWS CodeArtifact for the emulator: moto 5.2.5 has no ``codeartifact`` service at all.

Registered like :mod:`.imagebuilder`: the URL pattern joins ``moto.backend_index.backend_url_patterns``
and ``moto.backends.get_backend`` resolves ``"codeartifact"`` to
:data:`.codeartifact_model.codeartifact_backends`, a ``BackendDict`` moto resets with the others.
(Image Builder's resolver does not chain, so :func:`install` must run after it; ours does.) Requests
are parsed and responses/errors serialised by moto from botocore's ``codeartifact/2018-09-22``
model (REST-JSON); every request is checked against the model first (required members, enums, the
model's patterns applied to the whole value, lengths, ranges -> ValidationException, 400).

Operations (unknown domains, repositories, packages and versions -> ResourceNotFoundException, 404,
with ``resourceType``/``resourceId``; package groups without them, ``ResourceType`` has no such value):

* CreateDomain (with the root package group ``/*``), DescribeDomain, ListDomains, DeleteDomain
  (ConflictException while it has repositories); Put/Get/DeleteDomainPermissionsPolicy (JSON with a
  ``Statement``; ``policyRevision`` locks optimistically -> ConflictException; Get without a policy ->
  ResourceNotFoundException). Domains are per owner account; repositories of other accounts may live
  in them (``domainOwner``), and ListRepositories lists the caller's repositories in any domain.
* CreateRepository, UpdateRepository (replaces upstreams), DescribeRepository, ListRepositories,
  ListRepositoriesInDomain, DeleteRepository (removes it from downstream upstream lists and allowed
  repository lists), Associate/DisassociateExternalConnection, Put/Get/DeleteRepositoryPermissionsPolicy.
  Upstreams: same domain, at most 10 direct (ServiceQuotaExceededException), no duplicates or cycles.
* CreatePackageGroup, DescribePackageGroup, ListPackageGroups (``prefix`` on the pattern),
  ListSubPackageGroups, UpdatePackageGroupOriginConfiguration, ListAllowedRepositoriesForGroup,
  DeletePackageGroup (not the root: ValidationException), GetAssociatedPackageGroup. New groups
  INHERIT every restriction; ``/*`` allows every origin. Descriptions report ``mode``,
  ``effectiveMode``, ``inheritedFrom`` (the first ancestor not inheriting) and ``parent``.
* ListPackages (format, namespace prefix, packagePrefix, publish/upstream), DescribePackage,
  PutPackageOriginConfiguration (creates a package without versions), ListPackageVersions (status,
  originType, sortBy), DescribePackageVersion (origin and domain entry point), DeletePackageVersions,
  DisposePackageVersions, PublishPackageVersion (generic only; SHA-256 checked). Other formats enter
  through :func:`.codeartifact_seed.seed_package_version` / its HTTP endpoint, which applies
  origin controls (see that module).

Verified (botocore 1.44.8 model; AWS pages read through the ``search`` tool):

* Package group syntax, hierarchy ("the most specific match"), word-boundary prefixes, case-sensitive
  patterns with weak (variation) matches that block every origin, weak folding of case and runs of
  ``-._``: User Guide "Package group definition syntax and matching behavior",
  https://docs.aws.amazon.com/codeartifact/latest/ug/package-group-definition-syntax-matching-behavior.html
* Restrictions PUBLISH / EXTERNAL_UPSTREAM / INTERNAL_UPSTREAM with ALLOW, BLOCK,
  ALLOW_SPECIFIC_REPOSITORIES (allowed repository lists), INHERIT: "Package group origin controls",
  https://docs.aws.amazon.com/codeartifact/latest/ug/package-group-origin-controls.html; the root group
  ``/*`` in every domain, allowing all origins, not deletable: .../ug/package-groups.html; deleting a
  group re-parents its children: the model's DeletePackageGroup documentation.
* A package's own origin configuration and its defaults (first version published: publish ALLOW,
  upstream BLOCK; ingested: publish BLOCK, upstream ALLOW): .../ug/package-origin-controls.html.
* External connection names and formats: the model's AssociateExternalConnection documentation and
  .../ug/external-connection.html; one per repository, the second is a 400 "ExternalConnections for
  repositories are currently limited to 1" (awsdocs/aws-cloudformation-user-guide pull request 1127).
  "A repository can have one or more upstream repositories, or an external connection" (the same
  model documentation): the emulator enforces both directions.
* Upstream order, at most 10 direct upstreams, retention in the repository holding the external
  connection and the most downstream one, deleting an upstream allowed: .../ug/repo-upstream-behavior.html,
  .../ug/repo-upstream-search-order.html.
* Names: PyPI lowercased with runs of ``.-_`` as ``-`` (PEP 503), the normalised name required in API
  requests (.../ug/python-name-normalization.html); NuGet and Swift lowercased, inputs normalised
  (.../ug/nuget-name-normalization.html, .../ug/swift-name-normalization.html); package groups use
  normalised names (the syntax page); npm scope = namespace without ``@`` (the model's displayName
  ``@vue/ui``), Maven groupId = namespace, PyPI/NuGet/Ruby/Cargo have none, Maven/generic/Swift need one
  (the model's namespace documentation).
* ARNs ``domain/<d>``, ``repository/<d>/<r>``, ``package-group/<d><encoded pattern>``,
  ``package/<d>/<r>/<format>/<namespace>/<name>`` (blank namespace: ``//``), account = domain owner:
  Service Authorization Reference, https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodeartifact.html,
  and .../ug/auth-and-access-control-permissions-reference.html; the pattern's encoding (``*`` ->
  ``%2a``, ``$`` -> ``%24``, ``%`` -> ``%25``, ``/`` and ``~`` kept) from the tests of
  aws-cloudformation/aws-cloudformation-resource-providers-codeartifact (AbstractPackageGroupArnTest).

Not modelled or not verified: resource policies are stored, never enforced (any account may act on
any domain); how a package's own origin configuration combines with its group's (the emulator
requires both to allow; the User Guide section on it could not be read); the error code of a blocked
publish (AccessDeniedException here) and of several conflicts (the exact messages are the emulator's);
confusable characters in weak matching; NuGet version normalisation; npm dist-tags
(``defaultDisplayVersion`` is the newest Published version); assets other than PublishPackageVersion's,
package version dependencies, readme, CopyPackageVersions, UpdatePackageVersionsStatus, DeletePackage,
UpdatePackageGroup, ListAssociatedPackages, tags API (tags are stored), authorization tokens and
repository endpoints, the eventual consistency of group creation, EventBridge events.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast

import moto.backend_index as backend_index
import moto.backends as moto_backends
from moto.core.responses import ActionResult, BaseResponse
from moto.core.utils import get_service_model

from . import codeartifact_groups as groups
from . import codeartifact_packages as packages
from . import codeartifact_policies as policies
from . import codeartifact_seed as seed
from . import codeartifact_store as store
from .codeartifact_model import SERVICE, CodeArtifactBackend, codeartifact_backends
from .codeartifact_validation import validate_input
from .patches import patch_attr

URL_PATTERN = r"https?://codeartifact\.(.+)\.amazonaws\.com"

Handler = Callable[[CodeArtifactBackend, dict[str, Any]], dict[str, Any]]

HANDLERS: dict[str, Handler] = {
    "CreateDomain": store.create_domain,
    "DescribeDomain": store.describe_domain,
    "ListDomains": store.list_domains,
    "DeleteDomain": store.delete_domain,
    "PutDomainPermissionsPolicy": policies.put_domain_permissions_policy,
    "GetDomainPermissionsPolicy": policies.get_domain_permissions_policy,
    "DeleteDomainPermissionsPolicy": policies.delete_domain_permissions_policy,
    "CreateRepository": store.create_repository,
    "UpdateRepository": store.update_repository,
    "DescribeRepository": store.describe_repository,
    "ListRepositories": store.list_repositories,
    "ListRepositoriesInDomain": store.list_repositories_in_domain,
    "DeleteRepository": store.delete_repository,
    "AssociateExternalConnection": store.associate_external_connection,
    "DisassociateExternalConnection": store.disassociate_external_connection,
    "PutRepositoryPermissionsPolicy": policies.put_repository_permissions_policy,
    "GetRepositoryPermissionsPolicy": policies.get_repository_permissions_policy,
    "DeleteRepositoryPermissionsPolicy": policies.delete_repository_permissions_policy,
    "CreatePackageGroup": groups.create_package_group,
    "DescribePackageGroup": groups.describe_package_group,
    "ListPackageGroups": groups.list_package_groups,
    "ListSubPackageGroups": groups.list_sub_package_groups,
    "UpdatePackageGroupOriginConfiguration": groups.update_package_group_origin_configuration,
    "ListAllowedRepositoriesForGroup": groups.list_allowed_repositories_for_group,
    "DeletePackageGroup": groups.delete_package_group,
    "GetAssociatedPackageGroup": groups.get_associated_package_group,
    "ListPackages": packages.list_packages,
    "DescribePackage": packages.describe_package,
    "PutPackageOriginConfiguration": packages.put_package_origin_configuration,
    "ListPackageVersions": packages.list_package_versions,
    "DescribePackageVersion": packages.describe_package_version,
    "DeletePackageVersions": packages.delete_package_versions,
    "DisposePackageVersions": packages.dispose_package_versions,
    "PublishPackageVersion": packages.publish_package_version,
}
OPERATIONS: tuple[str, ...] = tuple(HANDLERS)


class CodeArtifactResponse(BaseResponse):
    """moto routes a request to the operation the model's HTTP method and request URI name, then calls the
    method named after it: each of them is :meth:`run`, which hands the request to :data:`HANDLERS`."""

    use_raw_body = True  # PublishPackageVersion's asset is binary

    def __init__(self) -> None:
        super().__init__(service_name=SERVICE)
        self.automated_parameter_parsing = True

    def run(self) -> ActionResult:
        operation = self._get_action()
        params = dict(self.params)
        validate_input(operation, params)
        backend: CodeArtifactBackend = codeartifact_backends[self.current_account][self.region]
        return ActionResult(HANDLERS[operation](backend, params))


def _method_name(operation: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


# moto calls the method named after the operation (snake case); each one is `run`.
for _operation in OPERATIONS:
    setattr(CodeArtifactResponse, _method_name(_operation), CodeArtifactResponse.run)

url_bases = [URL_PATTERN]

# moto's ``urls`` module contract: ``{0}`` is replaced by each url base (in-process) or by "" (server).
url_paths: dict[str, Callable[..., Any]] = {
    f"{{0}}{get_service_model(SERVICE).operation_model(name).http['requestUri']}$": CodeArtifactResponse.dispatch
    for name in OPERATIONS
}

_previous_get_backend: Callable[[str], Any] | None = None


def _get_backend(name: str) -> Any:
    if name == SERVICE:
        return codeartifact_backends
    assert _previous_get_backend is not None
    return _previous_get_backend(name)


def install() -> None:
    global _previous_get_backend
    if not any(service == SERVICE for service, _ in backend_index.backend_url_patterns):
        patterns = [*backend_index.backend_url_patterns, (SERVICE, re.compile(URL_PATTERN))]
        patch_attr(backend_index, "backend_url_patterns", patterns)
    if moto_backends.get_backend is not _get_backend:
        _previous_get_backend = cast(Callable[[str], Any], moto_backends.get_backend)
        patch_attr(moto_backends, "get_backend", _get_backend)
    seed.install()

"""Builders shared by the CodeArtifact tests of the layer: a domain shaped like a real one (a PyPI mirror, an
internal repository, an application repository reading both) in the emulator, package groups, seeded
package versions, and the policies the controls read."""

from __future__ import annotations

import json
from typing import Any

from provenance_guard.model import ResourceRef
from provenance_guard.policy import Policy
from provenance_guard_cli.emulator.codeartifact_seed import seed_package_version
from tests.unit.support import ACCOUNT, REGION

DOMAIN = "acme"
INTERNAL = ("pypi:acme-*", "npm:@acme", "maven:com.acme", "nuget:Acme.*")


def packages_policy(**packages: Any) -> Policy:
    """A policy whose `packages` section has `packages` (validated as a policy file would be)."""
    section = {"internal_namespaces": list(INTERNAL), **packages}
    return Policy.from_document({"packages": section})


def acme_domain(codeartifact: Any, domain: str = DOMAIN) -> None:
    """`domain` with `pypi-store` (external connection public:pypi), `npm-store` (public:npmjs), `internal`
    (published packages) and `app` (upstreams internal, pypi-store, npm-store)."""
    codeartifact.create_domain(domain=domain)
    for store, connection in (("pypi-store", "public:pypi"), ("npm-store", "public:npmjs")):
        codeartifact.create_repository(domain=domain, repository=store)
        codeartifact.associate_external_connection(domain=domain, repository=store, externalConnection=connection)
    codeartifact.create_repository(domain=domain, repository="internal")
    upstreams = [{"repositoryName": name} for name in ("internal", "pypi-store", "npm-store")]
    codeartifact.create_repository(domain=domain, repository="app", upstreams=upstreams)


def group(codeartifact: Any, pattern: str, domain: str = DOMAIN, **restrictions: str) -> None:
    """The package group `pattern`, with `restrictions` (`EXTERNAL_UPSTREAM="BLOCK"`, ...)."""
    codeartifact.create_package_group(domain=domain, packageGroup=pattern)
    if restrictions:
        codeartifact.update_package_group_origin_configuration(
            domain=domain, packageGroup=pattern, restrictions=restrictions
        )


def published(
    package_format: str, package: str, version: str, *, namespace: str | None = None, repository: str = "internal"
) -> None:
    """A version published to `repository` (origin INTERNAL)."""
    seed_package_version(DOMAIN, repository, package_format, package, version, namespace=namespace, region=REGION)


def ingested(
    package_format: str,
    package: str,
    version: str,
    connection: str,
    *,
    namespace: str | None = None,
    repository: str = "app",
) -> None:
    """A version pulled from a public registry through `connection` and retained in `repository`."""
    seed_package_version(
        DOMAIN,
        repository,
        package_format,
        package,
        version,
        namespace=namespace,
        origin_type="EXTERNAL",
        external_connection=connection,
        region=REGION,
    )


def version_ref(name: str) -> ResourceRef:
    from provenance_guard.collect.codeartifact_package import CODEARTIFACT_PACKAGE_VERSION

    return ResourceRef(CODEARTIFACT_PACKAGE_VERSION, name, ACCOUNT, REGION)


def statement(
    principal: Any, condition: dict[str, Any] | None = None, *, effect: str = "Allow", **extra: Any
) -> dict[str, Any]:
    found = {"Effect": effect, "Principal": principal, "Action": "codeartifact:ReadFromRepository", "Resource": "*"}
    if condition is not None:
        found["Condition"] = condition
    return {**found, **extra}


def policy_document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})

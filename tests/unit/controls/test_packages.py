"""PG.PKG.1-3: repository sources, internal namespaces behind blocking package groups, internal package
versions never pulled from a public registry. Each control passes, fails and is NOT_AVAILABLE; PG.PKG.2 is
judged on package groups as CodeArtifact reports them (the emulator applies inheritance and hierarchy)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.codeartifact import CodeArtifactReader, Organization, PolicyReading
from provenance_guard.collect.codeartifact_domain import CODEARTIFACT_DOMAIN, DomainCollector, DomainSnapshot
from provenance_guard.collect.codeartifact_names import PackageVersionName
from provenance_guard.collect.codeartifact_package import PackageVersionSnapshot
from provenance_guard.collect.codeartifact_repository import (
    CODEARTIFACT_REPOSITORY,
    ExternalConnection,
    RepositorySnapshot,
)
from provenance_guard.controls import registry
from provenance_guard.model import ResourceRef, Severity, Status, Verdict
from provenance_guard.policy import Policy
from tests.unit.codeartifact_support import DOMAIN, group, packages_policy, version_ref
from tests.unit.support import ACCOUNT, CONTEXT, OTHER_ACCOUNT, REGION

NO_ORGANIZATION = Organization(None, "the account is not a member of an organization")


def judge(control_id: str, snapshot: Any, policy: Policy | None = None) -> Verdict:
    verdict = registry.get(control_id).evaluate(snapshot, policy or packages_policy(), CONTEXT)
    assert verdict is not None
    return verdict


def repository(
    *connections: str, upstreams: tuple[str, ...] = (), error: str | None = None, owner: str = ACCOUNT
) -> RepositorySnapshot:
    return RepositorySnapshot(
        ref=ResourceRef(CODEARTIFACT_REPOSITORY, f"{DOMAIN}/app", owner, REGION),
        administrator=owner,
        upstreams=upstreams,
        external_connections=tuple(ExternalConnection(c, c.split(":")[1], "Available") for c in connections),
        error=error,
        policy=PolicyReading(),
        organization=NO_ORGANIZATION,
        tags={},
    )


class TestRepositorySources:
    def test_an_allowed_connection_and_upstreams_in_the_own_domain_pass(self) -> None:
        assert judge("PG.PKG.1", repository("public:pypi")).status is Status.PASSED
        passed = judge("PG.PKG.1", repository(upstreams=("internal", "pypi-store")))
        assert passed.status is Status.PASSED
        assert "upstream pypi-store" in passed.reasons[0].description
        assert judge("PG.PKG.1", repository()).reasons[0].description == "it has no upstream source"

    def test_an_unapproved_external_connection_fails(self) -> None:
        verdict = judge("PG.PKG.1", repository("public:crates-io"))
        assert verdict.status is Status.FAILED
        assert [r.code for r in verdict.reasons] == ["UNAPPROVED_EXTERNAL_CONNECTION"]
        assert "public:crates-io" in verdict.reasons[0].description

    def test_the_allowed_connections_come_from_the_policy(self) -> None:
        policy = packages_policy(allowed_external_connections=["public:npmjs"])
        assert judge("PG.PKG.1", repository("public:pypi"), policy).status is Status.FAILED

    def test_upstreams_in_a_domain_of_an_untrusted_owner_fail(self) -> None:
        policy = packages_policy(trusted_domain_owners=[OTHER_ACCOUNT])
        verdict = judge("PG.PKG.1", repository(upstreams=("internal",)), policy)
        assert [r.code for r in verdict.reasons] == ["UNTRUSTED_UPSTREAM_DOMAIN"]
        assert judge("PG.PKG.1", repository(), policy).status is Status.PASSED  # no upstream, nothing to trust

    def test_a_repository_that_cannot_be_described_is_not_available(self) -> None:
        verdict = judge("PG.PKG.1", repository(error="AccessDeniedException: denied"))
        assert verdict.status is Status.NOT_AVAILABLE
        assert verdict.reasons[0].code == "REPOSITORY_UNREADABLE"


@pytest.fixture
def codeartifact(aws: None) -> Any:
    client = boto3.client("codeartifact", region_name=REGION)
    client.create_domain(domain=DOMAIN)
    client.create_repository(domain=DOMAIN, repository="app")
    return client


def domain_snapshot() -> DomainSnapshot:
    clients = ClientFactory()
    snapshot = DomainCollector(clients, CodeArtifactReader(clients)).collect(
        ResourceRef(CODEARTIFACT_DOMAIN, DOMAIN, ACCOUNT, REGION)
    )
    assert snapshot is not None
    return snapshot


PYPI_ONLY = packages_policy(internal_namespaces=["pypi:acme-*"])


class TestInternalNamespacesBlocked:
    def test_a_new_domain_fails_its_root_group_allows_every_origin(self, codeartifact: Any) -> None:
        verdict = judge("PG.PKG.2", domain_snapshot(), PYPI_ONLY)
        assert verdict.status is Status.FAILED
        assert [r.code for r in verdict.reasons] == ["NOT_PROTECTED"]
        assert "/*: EXTERNAL_UPSTREAM ALLOW" in verdict.reasons[0].description

    def test_a_blocking_group_covering_the_namespace_passes(self, codeartifact: Any) -> None:
        group(codeartifact, "/pypi//acme~", EXTERNAL_UPSTREAM="BLOCK")
        verdict = judge("PG.PKG.2", domain_snapshot(), PYPI_ONLY)
        assert verdict.status is Status.PASSED
        assert verdict.evidence["Namespace.pypi:acme-*"] == "/pypi//acme~: EXTERNAL_UPSTREAM BLOCK"

    def test_a_group_too_broad_in_name_does_not_cover_a_narrower_prefix(self, codeartifact: Any) -> None:
        group(codeartifact, "/pypi//acme-utils~", EXTERNAL_UPSTREAM="BLOCK")  # acme-core is not in it
        assert judge("PG.PKG.2", domain_snapshot(), PYPI_ONLY).status is Status.FAILED

    def test_blocking_is_inherited_from_the_parent_group(self, codeartifact: Any) -> None:
        group(codeartifact, "/pypi/*", EXTERNAL_UPSTREAM="BLOCK")
        group(codeartifact, "/pypi//acme~")  # INHERIT
        verdict = judge("PG.PKG.2", domain_snapshot(), PYPI_ONLY)
        assert verdict.status is Status.PASSED
        assert "(inherited from /pypi/*)" in verdict.evidence["Namespace.pypi:acme-*"]

    def test_a_more_specific_group_that_allows_opens_part_of_the_namespace(self, codeartifact: Any) -> None:
        group(codeartifact, "/pypi//acme~", EXTERNAL_UPSTREAM="BLOCK")
        group(codeartifact, "/pypi//acme-public~", EXTERNAL_UPSTREAM="ALLOW")
        verdict = judge("PG.PKG.2", domain_snapshot(), PYPI_ONLY)
        assert verdict.status is Status.FAILED
        assert [r.code for r in verdict.reasons] == ["PARTLY_OPEN"]
        assert "/pypi//acme-public~" in verdict.reasons[0].description

    def test_a_more_specific_group_inheriting_the_block_keeps_the_namespace_closed(self, codeartifact: Any) -> None:
        group(codeartifact, "/pypi//acme~", EXTERNAL_UPSTREAM="BLOCK")
        group(codeartifact, "/pypi//acme-public~")  # INHERIT from /pypi//acme~
        assert judge("PG.PKG.2", domain_snapshot(), PYPI_ONLY).status is Status.PASSED

    def test_specific_repositories_may_ingest_only_when_the_list_is_empty(self, codeartifact: Any) -> None:
        group(codeartifact, "/pypi//acme~", EXTERNAL_UPSTREAM="ALLOW_SPECIFIC_REPOSITORIES")
        assert judge("PG.PKG.2", domain_snapshot(), PYPI_ONLY).status is Status.PASSED
        codeartifact.update_package_group_origin_configuration(
            domain=DOMAIN,
            packageGroup="/pypi//acme~",
            addAllowedRepositories=[{"repositoryName": "app", "originRestrictionType": "EXTERNAL_UPSTREAM"}],
        )
        verdict = judge("PG.PKG.2", domain_snapshot(), PYPI_ONLY)
        assert verdict.status is Status.FAILED
        assert "allows 1 repositories" in verdict.reasons[0].description

    def test_every_namespace_of_every_format_is_judged(self, codeartifact: Any) -> None:
        group(codeartifact, "/pypi//acme~", EXTERNAL_UPSTREAM="BLOCK")
        group(codeartifact, "/npm/acme/*", EXTERNAL_UPSTREAM="BLOCK")
        group(codeartifact, "/maven/com.acme~", EXTERNAL_UPSTREAM="BLOCK")
        verdict = judge("PG.PKG.2", domain_snapshot())
        assert verdict.status is Status.FAILED  # nuget:Acme.* is not covered
        assert [r.description.split(":")[0] for r in verdict.reasons] == ["nuget"]
        group(codeartifact, "/nuget//acme~", EXTERNAL_UPSTREAM="BLOCK")
        assert judge("PG.PKG.2", domain_snapshot()).status is Status.PASSED

    def test_no_internal_namespace_is_not_available(self, codeartifact: Any) -> None:
        verdict = judge("PG.PKG.2", domain_snapshot(), Policy())
        assert verdict.status is Status.NOT_AVAILABLE
        assert verdict.reasons[0].code == "NO_INTERNAL_NAMESPACES"

    def test_unlistable_groups_are_not_available(self, codeartifact: Any) -> None:
        snapshot = domain_snapshot()
        denied = DomainSnapshot(
            snapshot.ref, "Active", 1, (), "AccessDeniedException: no", (), PolicyReading(), NO_ORGANIZATION, {}
        )
        verdict = judge("PG.PKG.2", denied, PYPI_ONLY)
        assert verdict.status is Status.NOT_AVAILABLE
        assert verdict.reasons[0].code == "GROUPS_UNREADABLE"


def version(
    name: str, origin: str, *, repository: str | None = None, connection: str | None = None
) -> PackageVersionSnapshot:
    parsed = PackageVersionName.parse(name)
    assert parsed is not None
    return PackageVersionSnapshot(
        ref=version_ref(name),
        version=parsed,
        display_name=parsed.package,
        status="Published",
        origin_type=origin,
        entry_repository=repository,
        entry_connection=connection,
        published=None,
        tags={},
    )


class TestPublishedInternally:
    def test_an_internal_version_published_to_the_domain_passes(self) -> None:
        verdict = judge("PG.PKG.3", version(f"{DOMAIN}/app/pypi//acme-utils/1.0", "INTERNAL", repository="internal"))
        assert verdict.status is Status.PASSED
        assert verdict.evidence["InternalNamespace"] == "pypi:acme-*"

    def test_an_internal_version_ingested_from_upstream_is_dependency_confusion(self) -> None:
        snapshot = version(f"{DOMAIN}/app/pypi//acme-utils/99.0", "EXTERNAL", connection="public:pypi")
        verdict = judge("PG.PKG.3", snapshot)
        assert verdict.status is Status.FAILED
        assert verdict.reasons[0].code == "DEPENDENCY_CONFUSION"
        assert verdict.severity is None
        assert registry.get("PG.PKG.3").severity is Severity.CRITICAL

    def test_a_public_version_through_an_allowed_connection_passes_quietly(self) -> None:
        verdict = judge("PG.PKG.3", version(f"{DOMAIN}/app/pypi//requests/2.32", "EXTERNAL", connection="public:pypi"))
        assert verdict.status is Status.PASSED
        assert verdict.quiet

    def test_a_public_version_through_an_unapproved_connection_fails(self) -> None:
        snapshot = version(f"{DOMAIN}/app/cargo//serde/1.0", "EXTERNAL", connection="public:crates-io")
        verdict = judge("PG.PKG.3", snapshot)
        assert (verdict.status, verdict.reasons[0].code, verdict.severity) == (
            Status.FAILED,
            "UNAPPROVED_CONNECTION",
            Severity.HIGH,
        )

    def test_a_published_version_outside_every_internal_namespace_fails_softly(self) -> None:
        verdict = judge("PG.PKG.3", version(f"{DOMAIN}/app/pypi//tools/1.0", "INTERNAL", repository="internal"))
        assert (verdict.status, verdict.reasons[0].code, verdict.severity) == (
            Status.FAILED,
            "UNDECLARED_INTERNAL_PACKAGE",
            Severity.MEDIUM,
        )

    def test_an_unknown_origin_is_not_available(self) -> None:
        verdict = judge("PG.PKG.3", version(f"{DOMAIN}/app/npm/acme/ui/1.0", "UNKNOWN"))
        assert verdict.status is Status.NOT_AVAILABLE
        assert verdict.reasons[0].code == "ORIGIN_UNKNOWN"

    def test_names_are_matched_normalised(self) -> None:
        verdict = judge(
            "PG.PKG.3", version(f"{DOMAIN}/app/nuget//acme.core/1.0", "EXTERNAL", connection="public:nuget-org")
        )
        assert verdict.reasons[0].code == "DEPENDENCY_CONFUSION"  # nuget:Acme.* claims acme.core

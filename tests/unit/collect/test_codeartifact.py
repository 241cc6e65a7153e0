"""The CodeArtifact collectors and inventories against the emulator: domains with their package groups and
policies, repositories with their sources, package versions with their origin, and the sweep's listings
(internal namespaces only, paged)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.base import RunCache
from provenance_guard.collect.codeartifact import CodeArtifactReader
from provenance_guard.collect.codeartifact_domain import CODEARTIFACT_DOMAIN, DomainCollector, domain_names
from provenance_guard.collect.codeartifact_package import (
    CODEARTIFACT_PACKAGE_VERSION,
    PackageVersionCollector,
    internal_package_versions,
)
from provenance_guard.collect.codeartifact_repository import (
    CODEARTIFACT_REPOSITORY,
    RepositoryCollector,
    repository_names,
)
from provenance_guard.collect.kinds import ref_from_arn
from provenance_guard.model import ResourceRef
from provenance_guard_cli.emulator.codeartifact_seed import seed_package_version
from tests.unit.codeartifact_support import (
    DOMAIN,
    acme_domain,
    group,
    ingested,
    packages_policy,
    policy_document,
    published,
    statement,
    version_ref,
)
from tests.unit.support import ACCOUNT, REGION


@pytest.fixture
def codeartifact(aws: None) -> Any:
    client = boto3.client("codeartifact", region_name=REGION)
    acme_domain(client)
    return client


@pytest.fixture
def reader() -> CodeArtifactReader:
    return CodeArtifactReader(ClientFactory(max_attempts=1), RunCache())


def ref(kind: Any, name: str) -> ResourceRef:
    return ResourceRef(kind, name, ACCOUNT, REGION)


def test_a_domain_is_read_with_its_groups_and_policy(codeartifact: Any, reader: CodeArtifactReader) -> None:
    group(codeartifact, "/pypi//acme~", EXTERNAL_UPSTREAM="BLOCK")
    group(codeartifact, "/pypi//acme-tools$")
    codeartifact.put_domain_permissions_policy(domain=DOMAIN, policyDocument=policy_document(statement("*")))

    snapshot = DomainCollector(ClientFactory(), reader).collect(ref(CODEARTIFACT_DOMAIN, DOMAIN))

    assert snapshot is not None
    assert [g.text for g in snapshot.groups] == ["/*", "/pypi//acme-tools$", "/pypi//acme~"]
    tools = snapshot.groups[1].restrictions["EXTERNAL_UPSTREAM"]
    assert (tools.mode, tools.effective_mode, tools.inherited_from) == ("INHERIT", "BLOCK", "/pypi//acme~")
    assert snapshot.policy.document is not None
    assert '"*"' in snapshot.policy.document
    assert snapshot.organization.id is None
    assert "not a member" in snapshot.organization.note
    assert snapshot.ref.arn == f"arn:aws:codeartifact:{REGION}:{ACCOUNT}:domain/{DOMAIN}"
    assert set(snapshot.asff_details()["Other"]) >= {"DomainName", "DomainOwner", "PackageGroups"}


def test_the_organization_is_read_once_per_run(aws: None, reader: CodeArtifactReader) -> None:
    organization = boto3.client("organizations", region_name=REGION).create_organization(FeatureSet="ALL")
    first = reader.organization()
    assert first.id == organization["Organization"]["Id"]
    assert reader.organization() is first


def test_a_deleted_domain_is_gone(aws: None, reader: CodeArtifactReader) -> None:
    assert DomainCollector(ClientFactory(), reader).collect(ref(CODEARTIFACT_DOMAIN, "gone")) is None


def test_unlistable_package_groups_are_reported_not_raised(
    codeartifact: Any, reader: CodeArtifactReader, emulator_faults: Callable[..., None]
) -> None:
    emulator_faults("codeartifact", "ListPackageGroups", "AccessDeniedException", status=403)
    emulator_faults("codeartifact", "GetDomainPermissionsPolicy", "AccessDeniedException", status=403)

    snapshot = DomainCollector(ClientFactory(max_attempts=1), reader).collect(ref(CODEARTIFACT_DOMAIN, DOMAIN))

    assert snapshot is not None
    assert snapshot.groups == ()
    assert snapshot.groups_error is not None
    assert snapshot.groups_error.startswith("AccessDeniedException")
    assert snapshot.policy.error is not None
    assert snapshot.policy.document is None


def test_a_repository_is_read_with_its_sources(codeartifact: Any, reader: CodeArtifactReader) -> None:
    collector = RepositoryCollector(ClientFactory(), reader)

    app = collector.collect(ref(CODEARTIFACT_REPOSITORY, f"{DOMAIN}/app"))
    store = collector.collect(ref(CODEARTIFACT_REPOSITORY, f"{DOMAIN}/pypi-store"))

    assert app is not None
    assert store is not None
    assert app.upstreams == ("internal", "pypi-store", "npm-store")
    assert app.external_connections == ()
    assert [(c.name, c.package_format) for c in store.external_connections] == [("public:pypi", "pypi")]
    assert app.policy.document is None
    assert app.policy.error is None
    assert app.ref.arn == f"arn:aws:codeartifact:{REGION}:{ACCOUNT}:repository/{DOMAIN}/app"
    assert collector.collect(ref(CODEARTIFACT_REPOSITORY, f"{DOMAIN}/gone")) is None


def test_an_undescribable_repository_keeps_the_reason(
    codeartifact: Any, reader: CodeArtifactReader, emulator_faults: Callable[..., None]
) -> None:
    emulator_faults("codeartifact", "DescribeRepository", "AccessDeniedException", status=403)

    snapshot = RepositoryCollector(ClientFactory(max_attempts=1), reader).collect(
        ref(CODEARTIFACT_REPOSITORY, f"{DOMAIN}/app")
    )

    assert snapshot is not None
    assert snapshot.error is not None
    assert "AccessDenied" in snapshot.error


def test_a_package_version_is_read_with_its_origin(codeartifact: Any) -> None:
    published("pypi", "Acme_Utils", "1.0.0")
    ingested("pypi", "requests", "2.32.3", "public:pypi")
    collector = PackageVersionCollector(ClientFactory())

    internal = collector.collect(version_ref(f"{DOMAIN}/internal/pypi//acme-utils/1.0.0"))
    public = collector.collect(version_ref(f"{DOMAIN}/app/pypi//requests/2.32.3"))

    assert internal is not None
    assert public is not None
    assert (internal.origin_type, internal.entry_repository) == ("INTERNAL", "internal")
    assert (public.origin_type, public.entry_connection) == ("EXTERNAL", "public:pypi")
    assert internal.coordinates.display == "pypi:acme-utils"
    assert public.ref.arn == f"arn:aws:codeartifact:{REGION}:{ACCOUNT}:package/{DOMAIN}/app/pypi//requests/2.32.3"


def test_archived_disposed_and_deleted_versions_are_gone(codeartifact: Any) -> None:
    seed_package_version(DOMAIN, "internal", "pypi", "acme-utils", "1.0.0", status="Archived", region=REGION)
    for version in ("1.1.0", "1.2.0", "1.3.0"):
        published("pypi", "acme-utils", version)
    where = {"domain": DOMAIN, "repository": "internal", "format": "pypi", "package": "acme-utils"}
    codeartifact.dispose_package_versions(**where, versions=["1.1.0"])
    codeartifact.delete_package_versions(**where, versions=["1.2.0"])
    collector = PackageVersionCollector(ClientFactory())

    assert collector.collect(version_ref(f"{DOMAIN}/internal/pypi//acme-utils/1.3.0")) is not None
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        assert collector.collect(version_ref(f"{DOMAIN}/internal/pypi//acme-utils/{version}")) is None
    assert collector.collect(version_ref(f"{DOMAIN}/internal/pypi//acme-utils/9.9.9")) is None


def test_resource_ids_read_back_into_the_same_reference(codeartifact: Any) -> None:
    for name, kind in (
        (DOMAIN, CODEARTIFACT_DOMAIN),
        (f"{DOMAIN}/app", CODEARTIFACT_REPOSITORY),
        (f"{DOMAIN}/app/npm/acme/ui/1.0.0", CODEARTIFACT_PACKAGE_VERSION),
        (f"{DOMAIN}/app/pypi//acme-utils/1.0.0", CODEARTIFACT_PACKAGE_VERSION),
    ):
        original = ref(kind, name)
        assert ref_from_arn(original.arn, ACCOUNT) == original
    package_arn = f"arn:aws:codeartifact:{REGION}:{ACCOUNT}:package/{DOMAIN}/app/npm//mypackage"
    assert ref_from_arn(package_arn, ACCOUNT) is None  # AWS's package ARN names no version


def test_the_inventories_list_domains_and_every_repository_in_them(codeartifact: Any) -> None:
    codeartifact.create_domain(domain="beta")
    codeartifact.create_repository(domain="beta", repository="tools")

    assert sorted(domain_names(ClientFactory(), REGION)) == [DOMAIN, "beta"]
    assert sorted(repository_names(ClientFactory(), REGION)) == [
        f"{DOMAIN}/app",
        f"{DOMAIN}/internal",
        f"{DOMAIN}/npm-store",
        f"{DOMAIN}/pypi-store",
        "beta/tools",
    ]


def test_the_sweep_lists_only_the_internal_namespaces_package_versions(codeartifact: Any) -> None:
    published("pypi", "Acme_Utils", "1.0.0")
    published("pypi", "acmeutils", "1.0.0")  # no word boundary: not acme-*
    published("npm", "ui", "2.0.0", namespace="acme")
    published("maven", "core", "3.0.0", namespace="com.acme")
    published("nuget", "Acme.Core", "4.0.0")
    ingested("pypi", "requests", "2.32.3", "public:pypi")
    ingested("npm", "react", "18.3.1", "public:npmjs")
    ingested("pypi", "acme-utils-evil", "99.0.0", "public:pypi")

    listed = sorted(internal_package_versions(ClientFactory(), REGION, packages_policy()))

    assert listed == [
        f"{DOMAIN}/app/pypi//acme-utils-evil/99.0.0",
        f"{DOMAIN}/internal/maven/com.acme/core/3.0.0",
        f"{DOMAIN}/internal/npm/acme/ui/2.0.0",
        f"{DOMAIN}/internal/nuget//acme.core/4.0.0",
        f"{DOMAIN}/internal/pypi//acme-utils/1.0.0",
        f"{DOMAIN}/pypi-store/pypi//acme-utils-evil/99.0.0",
    ]
    assert list(internal_package_versions(ClientFactory(), REGION, packages_policy(internal_namespaces=[]))) == []


def test_the_internal_listing_pages_and_skips_unavailable_versions(codeartifact: Any) -> None:
    versions = [f"1.0.{n}" for n in range(1005)]
    for version in versions:
        published("pypi", "acme-big", version)
    codeartifact.dispose_package_versions(
        domain=DOMAIN, repository="internal", format="pypi", package="acme-big", versions=["1.0.0"]
    )

    listed = list(internal_package_versions(ClientFactory(), REGION, packages_policy()))

    assert len(listed) == 1004
    assert f"{DOMAIN}/internal/pypi//acme-big/1.0.0" not in listed

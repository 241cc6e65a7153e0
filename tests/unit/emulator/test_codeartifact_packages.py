"""CodeArtifact packages and versions: seeding with origin controls, the read API, normalisation, paging,
PublishPackageVersion, deleting and disposing versions."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from provenance_guard_cli.emulator.codeartifact_groups import OriginBlocked
from provenance_guard_cli.emulator.codeartifact_model import (
    ConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from provenance_guard_cli.emulator.codeartifact_seed import seed_package_version
from tests.unit.emulator.codeartifact_support import DOMAIN, error_of, group, pypi_mirror, resource_type_of

ACCOUNT = "123456789012"
APP = {"domain": DOMAIN, "repository": "app"}
STORE = {"domain": DOMAIN, "repository": "pypi-store"}


def ingest(package: str, version: str, repository: str = "app", package_format: str = "pypi") -> dict[str, Any]:
    connection = {"pypi": "public:pypi", "npm": "public:npmjs", "maven": "public:maven-central"}[package_format]
    return seed_package_version(
        DOMAIN, repository, package_format, package, version, origin_type="EXTERNAL", external_connection=connection
    )


def versions_of(codeartifact: Any, package: str, repository: dict[str, str] = APP, **filters: Any) -> list[str]:
    listed = codeartifact.list_package_versions(**repository, format="pypi", package=package, **filters)
    return [version["version"] for version in listed["versions"]]


def test_an_ingested_version_is_kept_by_the_connection_repository_and_the_downstream_one(codeartifact: Any) -> None:
    pypi_mirror(codeartifact)

    seeded = ingest("requests", "2.31.0")
    app = codeartifact.describe_package_version(**APP, format="pypi", package="requests", packageVersion="2.31.0")
    store = codeartifact.list_package_versions(**STORE, format="pypi", package="requests")

    assert seeded["packageArn"] == f"arn:aws:codeartifact:us-east-1:{ACCOUNT}:package/{DOMAIN}/app/pypi//requests"
    origin = {"originType": "EXTERNAL", "domainEntryPoint": {"externalConnectionName": "public:pypi"}}
    assert app["packageVersion"]["origin"] == origin
    assert (app["packageVersion"]["status"], app["packageVersion"]["displayName"]) == ("Published", "requests")
    assert [(v["version"], v["origin"]) for v in store["versions"]] == [("2.31.0", origin)]
    assert store["defaultDisplayVersion"] == "2.31.0"
    for repository in (APP, STORE):
        described = codeartifact.describe_package(**repository, format="pypi", package="requests")["package"]
        assert described["originConfiguration"] == {"restrictions": {"publish": "BLOCK", "upstream": "ALLOW"}}


def test_through_a_chain_only_the_connection_and_the_most_downstream_repository_keep_it(codeartifact: Any) -> None:
    pypi_mirror(codeartifact)
    codeartifact.create_repository(domain=DOMAIN, repository="team", upstreams=[{"repositoryName": "app"}])

    ingest("urllib3", "2.2.0", repository="team")

    def holds(repository: str) -> bool:
        packages = codeartifact.list_packages(domain=DOMAIN, repository=repository)["packages"]
        return [p["package"] for p in packages] == ["urllib3"]

    assert (holds("team"), holds("app"), holds("pypi-store")) == (True, False, True)


def test_external_upstream_block_stops_ingestion_of_internal_namespaces(codeartifact: Any) -> None:
    pypi_mirror(codeartifact)
    group(codeartifact, "/pypi//acme~", EXTERNAL_UPSTREAM="BLOCK")

    with pytest.raises(OriginBlocked, match="EXTERNAL_UPSTREAM is BLOCK for package group '/pypi//acme~'"):
        ingest("Acme_Utils", "1.0.0")

    assert codeartifact.list_packages(**STORE)["packages"] == []
    assert codeartifact.list_packages(**APP)["packages"] == []
    ingest("acmeutils", "1.0.0")  # another word: not in the group
    published = seed_package_version(DOMAIN, "app", "pypi", "Acme_Utils", "1.0.0")["packageVersion"]
    assert (published["packageName"], published["displayName"]) == ("acme-utils", "Acme_Utils")
    assert published["origin"] == {"originType": "INTERNAL", "domainEntryPoint": {"repositoryName": "app"}}


def test_inherited_blocks_allowed_repositories_and_weak_matches_all_apply(codeartifact: Any) -> None:
    pypi_mirror(codeartifact)
    group(codeartifact, "/pypi/*", EXTERNAL_UPSTREAM="BLOCK")
    group(codeartifact, "/pypi//requests$")
    group(codeartifact, "/pypi//boto3$", EXTERNAL_UPSTREAM="ALLOW_SPECIFIC_REPOSITORIES")

    with pytest.raises(OriginBlocked, match="inherited from '/pypi/\\*'"):
        ingest("requests", "2.31.0")
    with pytest.raises(OriginBlocked, match="ALLOW_SPECIFIC_REPOSITORIES"):
        ingest("boto3", "1.34.0")
    codeartifact.update_package_group_origin_configuration(
        domain=DOMAIN,
        packageGroup="/pypi//boto3$",
        addAllowedRepositories=[{"repositoryName": "pypi-store", "originRestrictionType": "EXTERNAL_UPSTREAM"}],
    )
    ingest("boto3", "1.34.0")
    group(codeartifact, "/npm//LeftPad$", EXTERNAL_UPSTREAM="ALLOW")
    codeartifact.create_repository(domain=DOMAIN, repository="npm-store")
    codeartifact.associate_external_connection(domain=DOMAIN, repository="npm-store", externalConnection="public:npmjs")
    with pytest.raises(OriginBlocked, match="weak match"):
        ingest("leftpad", "1.0.0", repository="npm-store", package_format="npm")
    ingest("LeftPad", "1.0.0", repository="npm-store", package_format="npm")


def test_an_internal_package_blocks_its_external_namesake_dependency_confusion(codeartifact: Any) -> None:
    pypi_mirror(codeartifact)
    seed_package_version(DOMAIN, "pypi-store", "pypi", "acme-billing", "1.0.0")

    with pytest.raises(OriginBlocked, match="upstream=BLOCK"):
        ingest("acme-billing", "99.0.0", repository="pypi-store")

    codeartifact.put_package_origin_configuration(
        **STORE, format="pypi", package="acme-billing", restrictions={"publish": "ALLOW", "upstream": "ALLOW"}
    )
    ingest("acme-billing", "99.0.0", repository="pypi-store")
    assert versions_of(codeartifact, "acme-billing", STORE, originType="EXTERNAL") == ["99.0.0"]
    assert versions_of(codeartifact, "acme-billing", STORE, originType="INTERNAL") == ["1.0.0"]


def test_publishing_is_checked_against_the_group_and_the_package(codeartifact: Any) -> None:
    pypi_mirror(codeartifact)
    group(codeartifact, "/pypi/*", PUBLISH="BLOCK")
    group(codeartifact, "/pypi//acme~", PUBLISH="ALLOW")

    with pytest.raises(OriginBlocked, match="PUBLISH is BLOCK"):
        seed_package_version(DOMAIN, "app", "pypi", "requests", "2.31.0")
    seed_package_version(DOMAIN, "app", "pypi", "acme-utils", "1.0.0")
    ingest("six", "1.16.0")
    codeartifact.delete_package_group(domain=DOMAIN, packageGroup="/pypi/*")
    with pytest.raises(OriginBlocked, match="publish=BLOCK"):
        seed_package_version(DOMAIN, "app", "pypi", "six", "1.17.0")


def test_a_version_published_upstream_is_retained_downstream_unless_blocked(codeartifact: Any) -> None:
    pypi_mirror(codeartifact)
    codeartifact.create_repository(domain=DOMAIN, repository="shared")
    codeartifact.update_repository(**APP, upstreams=[{"repositoryName": "shared"}, {"repositoryName": "pypi-store"}])

    seeded = seed_package_version(DOMAIN, "app", "pypi", "acme-core", "2.0.0", entry_repository="shared")
    assert seeded["packageVersion"]["origin"] == {
        "originType": "INTERNAL",
        "domainEntryPoint": {"repositoryName": "shared"},
    }
    assert versions_of(codeartifact, "acme-core", {"domain": DOMAIN, "repository": "shared"}) == ["2.0.0"]
    group(codeartifact, "/pypi//acme-core$", INTERNAL_UPSTREAM="BLOCK")
    with pytest.raises(OriginBlocked, match="INTERNAL_UPSTREAM is BLOCK"):
        seed_package_version(DOMAIN, "app", "pypi", "acme-core", "2.1.0", entry_repository="shared")
    with pytest.raises(ValidationException, match="not an upstream"):
        seed_package_version(DOMAIN, "shared", "pypi", "acme-core", "2.1.0", entry_repository="app")


def test_seeding_rejects_what_codeartifact_could_not_hold(codeartifact: Any) -> None:
    pypi_mirror(codeartifact)
    ingest("requests", "2.31.0")

    with pytest.raises(ConflictException, match="already exists"):
        ingest("requests", "2.31.0")
    for call, error in (
        (lambda: seed_package_version(DOMAIN, "app", "pypi", "x", "1", namespace="acme"), "do not have a namespace"),
        (lambda: seed_package_version(DOMAIN, "app", "maven", "core", "1.0"), "namespace is required"),
        (lambda: seed_package_version(DOMAIN, "app", "java", "core", "1.0"), "format must be one of"),
        (lambda: seed_package_version(DOMAIN, "app", "pypi", "x", "1", status="Deleted"), "status must be one of"),
        (lambda: seed_package_version(DOMAIN, "app", "pypi", "x", "1 0"), "is not a package version"),
        (
            lambda: seed_package_version(
                DOMAIN, "app", "npm", "x", "1", origin_type="EXTERNAL", external_connection="public:pypi"
            ),
            "does not serve npm",
        ),
        (
            lambda: seed_package_version(DOMAIN, "app", "pypi", "x", "1", origin_type="EXTERNAL"),
            "externalConnectionName",
        ),
        (
            lambda: seed_package_version(
                DOMAIN, "app", "pypi", "x", "1", origin_type="UNKNOWN", entry_repository="app"
            ),
            "no domain entry point",
        ),
    ):
        with pytest.raises(ValidationException, match=error):
            call()
    with pytest.raises(ValidationException, match="Neither 'pypi-store' nor"):
        seed_package_version(
            DOMAIN, "pypi-store", "npm", "x", "1", origin_type="EXTERNAL", external_connection="public:npmjs"
        )
    with pytest.raises(ResourceNotFoundException):
        seed_package_version("nope", "app", "pypi", "x", "1")
    unknown = seed_package_version(DOMAIN, "app", "pypi", "legacy", "0.1", origin_type="UNKNOWN")
    assert unknown["packageVersion"]["origin"] == {"originType": "UNKNOWN"}


def test_names_are_normalised_per_format(codeartifact: Any) -> None:
    pypi_mirror(codeartifact)
    seed_package_version(DOMAIN, "app", "pypi", "Acme_Utils", "1.0.0")
    seed_package_version(DOMAIN, "app", "npm", "ui", "1.0.0", namespace="@acme")
    seed_package_version(DOMAIN, "app", "maven", "billing-core", "1.0.0", namespace="com.acme")
    seed_package_version(DOMAIN, "app", "nuget", "Acme.Json", "1.0.0")

    packages = [(p["format"], p.get("namespace"), p["package"]) for p in codeartifact.list_packages(**APP)["packages"]]

    assert packages == [
        ("maven", "com.acme", "billing-core"),
        ("npm", "acme", "ui"),
        ("nuget", None, "acme.json"),
        ("pypi", None, "acme-utils"),
    ]
    npm = codeartifact.describe_package_version(
        **APP, format="npm", namespace="acme", package="ui", packageVersion="1.0.0"
    )
    assert npm["packageVersion"]["displayName"] == "@acme/ui"
    assert codeartifact.describe_package(**APP, format="nuget", package="Acme.JSON")["package"]["name"] == "acme.json"
    with pytest.raises(ClientError) as excinfo:  # PyPI API requests need the normalised name
        codeartifact.describe_package(**APP, format="pypi", package="Acme_Utils")
    assert error_of(excinfo) == ("ResourceNotFoundException", 404)
    assert resource_type_of(excinfo) == "package"
    assert (
        codeartifact.get_associated_package_group(domain=DOMAIN, format="pypi", package="acme-utils")["associationType"]
        == "STRONG"
    )


def test_list_packages_filters_and_pages(codeartifact: Any) -> None:
    pypi_mirror(codeartifact)
    for name in ("acme-a", "acme-b", "other"):
        seed_package_version(DOMAIN, "app", "pypi", name, "1.0")
    ingest("requests", "2.31.0")
    seed_package_version(DOMAIN, "app", "maven", "core", "1.0", namespace="com.acme.billing")

    def names(**filters: Any) -> list[str]:
        return [p["package"] for p in codeartifact.list_packages(**APP, **filters)["packages"]]

    assert names(format="pypi", packagePrefix="acme") == ["acme-a", "acme-b"]
    assert names(format="maven", namespace="com.acme") == ["core"]
    assert names(upstream="ALLOW") == ["requests"]
    assert names(publish="ALLOW", format="pypi") == ["acme-a", "acme-b", "other"]
    first = codeartifact.list_packages(**APP, maxResults=2)
    second = codeartifact.list_packages(**APP, maxResults=2, nextToken=first["nextToken"])
    third = codeartifact.list_packages(**APP, maxResults=2, nextToken=second["nextToken"])
    assert [len(page["packages"]) for page in (first, second, third)] == [2, 2, 1]
    assert "nextToken" not in third


def test_list_package_versions_filters_sorts_and_pages(codeartifact: Any) -> None:
    pypi_mirror(codeartifact)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for index, (version, status) in enumerate((("1.2.0", "Published"), ("1.0.0", "Archived"), ("1.1.0", "Unlisted"))):
        seed_package_version(
            DOMAIN, "app", "pypi", "acme-core", version, status=status, published_time=start - timedelta(days=index)
        )

    assert versions_of(codeartifact, "acme-core") == ["1.2.0", "1.0.0", "1.1.0"]
    assert versions_of(codeartifact, "acme-core", sortBy="PUBLISHED_TIME") == ["1.1.0", "1.0.0", "1.2.0"]
    assert versions_of(codeartifact, "acme-core", status="Archived") == ["1.0.0"]
    assert versions_of(codeartifact, "acme-core", originType="EXTERNAL") == []
    page = codeartifact.list_package_versions(**APP, format="pypi", package="acme-core", maxResults=2)
    assert [v["version"] for v in page["versions"]] == ["1.2.0", "1.0.0"]
    assert page["defaultDisplayVersion"] == "1.2.0"
    described = codeartifact.describe_package_version(
        **APP, format="pypi", package="acme-core", packageVersion="1.0.0"
    )["packageVersion"]
    assert described["publishedTime"] == start - timedelta(days=1)
    for call in (
        lambda: codeartifact.list_package_versions(**APP, format="pypi", package="nope"),
        lambda: codeartifact.describe_package_version(**APP, format="pypi", package="acme-core", packageVersion="9"),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == ("ResourceNotFoundException", 404)


def test_put_package_origin_configuration_creates_a_package_without_versions(codeartifact: Any) -> None:
    pypi_mirror(codeartifact)

    configured = codeartifact.put_package_origin_configuration(
        **APP, format="pypi", package="acme-secret", restrictions={"publish": "ALLOW", "upstream": "BLOCK"}
    )

    assert configured["originConfiguration"] == {"restrictions": {"publish": "ALLOW", "upstream": "BLOCK"}}
    assert codeartifact.list_package_versions(**APP, format="pypi", package="acme-secret")["versions"] == []
    with pytest.raises(OriginBlocked, match="upstream=BLOCK"):
        ingest("acme-secret", "1.0.0")


def test_delete_and_dispose_report_each_version(codeartifact: Any) -> None:
    pypi_mirror(codeartifact)
    for version in ("1.0", "2.0", "3.0"):
        seed_package_version(DOMAIN, "app", "pypi", "acme-core", version)
    target = {**APP, "format": "pypi", "package": "acme-core"}
    revision = codeartifact.describe_package_version(**target, packageVersion="2.0")["packageVersion"]["revision"]

    disposed = codeartifact.dispose_package_versions(
        **target, versions=["2.0", "3.0"], versionRevisions={"2.0": revision, "3.0": "other"}
    )
    deleted = codeartifact.delete_package_versions(**target, versions=["1.0", "2.0", "4.0"], expectedStatus="Published")

    assert disposed["successfulVersions"] == {"2.0": {"revision": revision, "status": "Disposed"}}
    assert disposed["failedVersions"]["3.0"]["errorCode"] == "MISMATCHED_REVISION"
    assert set(deleted["successfulVersions"]) == {"1.0"}
    assert deleted["successfulVersions"]["1.0"]["status"] == "Deleted"
    assert {v: e["errorCode"] for v, e in deleted["failedVersions"].items()} == {
        "2.0": "MISMATCHED_STATUS",
        "4.0": "NOT_FOUND",
    }
    assert versions_of(codeartifact, "acme-core") == ["2.0", "3.0"]


def test_publish_package_version_takes_generic_packages_only(codeartifact: Any) -> None:
    pypi_mirror(codeartifact)
    content = bytes(range(256))  # not UTF-8
    digest = hashlib.sha256(content).hexdigest()
    request = {
        **APP,
        "format": "generic",
        "namespace": "acme",
        "package": "tool",
        "packageVersion": "1.0.0",
        "assetContent": content,
        "assetName": "tool.bin",
        "assetSHA256": digest,
    }

    first = codeartifact.publish_package_version(**request, unfinished=True)
    second = codeartifact.publish_package_version(**{**request, "assetName": "README"})

    assert (first["status"], second["status"]) == ("Unfinished", "Published")
    assert first["asset"] == {
        "name": "tool.bin",
        "size": len(content),
        "hashes": {
            "MD5": hashlib.md5(content).hexdigest(),
            "SHA-1": hashlib.sha1(content).hexdigest(),
            "SHA-256": digest,
            "SHA-512": hashlib.sha512(content).hexdigest(),
        },
    }
    version = codeartifact.describe_package_version(
        **APP, format="generic", namespace="acme", package="tool", packageVersion="1.0.0"
    )["packageVersion"]
    assert version["origin"] == {"originType": "INTERNAL", "domainEntryPoint": {"repositoryName": "app"}}
    for changed, code in (
        ({}, "ConflictException"),
        ({"format": "pypi", "namespace": None}, "ValidationException"),
        ({"packageVersion": "1.0.1", "assetSHA256": "0" * 64}, "ValidationException"),
        ({"namespace": None}, "ValidationException"),
    ):
        attempt = {key: value for key, value in {**request, **changed}.items() if value is not None}
        with pytest.raises(ClientError) as excinfo:
            codeartifact.publish_package_version(**attempt)
        assert error_of(excinfo)[0] == code
    group(codeartifact, "/generic/acme/*", PUBLISH="BLOCK")
    with pytest.raises(ClientError) as excinfo:
        codeartifact.publish_package_version(**{**request, "package": "other"})
    assert error_of(excinfo) == ("AccessDeniedException", 403)

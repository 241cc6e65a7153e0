"""The CodeArtifact family through the one pipeline (moto and the project's emulator in-process): package
version events and CloudTrail calls in, findings in Security Hub out; deleted versions and repositories are
archived, never a crash; public versions pulled through an allowed connection leave no finding unless they
clear one; the sweep lists the internal namespaces only and re-checks what it does not list."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.codeartifact_package import CODEARTIFACT_PACKAGE_VERSION
from provenance_guard.collect.codeartifact_repository import CODEARTIFACT_REPOSITORY
from provenance_guard.model import ResourceRef
from provenance_guard.runtime import handle_sqs_batch
from provenance_guard.service import Service
from provenance_guard.sweep import SweepScope, page_work, plan_pages
from provenance_guard.work import Action
from tests.unit.codeartifact_support import DOMAIN, INTERNAL, acme_domain, group, ingested, published
from tests.unit.support import ACCOUNT, REGION, FakeClock, load_event, sqs_record

POLICY = {"packages": {"internal_namespaces": list(INTERNAL)}}


@pytest.fixture
def codeartifact(aws: None) -> Any:
    client = boto3.client("codeartifact", region_name=REGION)
    acme_domain(client)
    return client


def version_event(repository: str, package_format: str, package: str, version: str, **detail: Any) -> dict[str, Any]:
    """The documented package version event, as the domain owner (moto's account) receives it."""
    event = load_event("codeartifact-package-version-state-change-domain-owner.json")
    event.update(account=ACCOUNT, region=REGION)
    event["detail"].update(
        domainName=DOMAIN,
        domainOwner=ACCOUNT,
        repositoryName=repository,
        packageFormat=package_format,
        packageName=package,
        packageVersion=version,
        **detail,
    )
    return event


def cloudtrail(fixture: str, **request: Any) -> dict[str, Any]:
    event = load_event(fixture)
    event.update(account=ACCOUNT, region=REGION)
    detail = event["detail"]
    detail.update(recipientAccountId=ACCOUNT, awsRegion=REGION)
    detail["userIdentity"]["accountId"] = ACCOUNT
    detail["requestParameters"].update(domain=DOMAIN, domainOwner=ACCOUNT, **request)
    return event


def run(service: Service, *events: dict[str, Any]) -> dict[str, Any]:
    records = [sqs_record(f"m{i}", json.dumps(event)) for i, event in enumerate(events)]
    return handle_sqs_batch({"Records": records}, service)


def state_of(securityhub: Any, resource: str) -> dict[str, str]:
    """control -> status of the resource's findings (ARCHIVED when archived)."""
    found = securityhub.get_findings()["Findings"]
    return {
        f["Compliance"]["SecurityControlId"]: f["Compliance"]["Status"] if f["RecordState"] == "ACTIVE" else "ARCHIVED"
        for f in found
        if f["Resources"][0]["Id"] == resource
    }


def version_arn(name: str) -> str:
    return ResourceRef(CODEARTIFACT_PACKAGE_VERSION, f"{DOMAIN}/{name}", ACCOUNT, REGION).arn


def repository_arn(name: str) -> str:
    return ResourceRef(CODEARTIFACT_REPOSITORY, f"{DOMAIN}/{name}", ACCOUNT, REGION).arn


def test_an_internal_package_pulled_from_pypi_is_critical(
    make_service: Callable[..., Service], securityhub: Any, codeartifact: Any
) -> None:
    published("pypi", "acme-utils", "1.0.0")
    ingested("pypi", "acme-utils", "99.0.0", "public:pypi")  # before any package group blocks it
    ingested("pypi", "requests", "2.32.3", "public:pypi")
    service = make_service(POLICY)

    assert run(
        service,
        version_event("internal", "pypi", "acme-utils", "1.0.0"),
        version_event("app", "pypi", "acme-utils", "99.0.0"),
        version_event("app", "pypi", "requests", "2.32.3"),
    ) == {"batchItemFailures": []}

    assert state_of(securityhub, version_arn("internal/pypi//acme-utils/1.0.0")) == {"PG.PKG.3": "PASSED"}
    attack = [
        f
        for f in securityhub.get_findings()["Findings"]
        if f["Resources"][0]["Id"] == version_arn("app/pypi//acme-utils/99.0.0")
    ]
    assert [(f["Compliance"]["Status"], f["Severity"]["Label"]) for f in attack] == [("FAILED", "CRITICAL")]
    assert attack[0]["Resources"][0]["Type"] == "Other"
    assert attack[0]["Resources"][0]["Details"]["Other"]["DomainEntryPoint"] == "external connection public:pypi"
    assert state_of(securityhub, version_arn("app/pypi//requests/2.32.3")) == {}  # a quiet pass: no finding


def test_a_deleted_version_has_its_findings_archived(
    make_service: Callable[..., Service], securityhub: Any, codeartifact: Any, clock: FakeClock
) -> None:
    ingested("pypi", "acme-utils", "99.0.0", "public:pypi", repository="pypi-store")
    service = make_service(POLICY)
    run(service, version_event("pypi-store", "pypi", "acme-utils", "99.0.0"))
    assert state_of(securityhub, version_arn("pypi-store/pypi//acme-utils/99.0.0")) == {"PG.PKG.3": "FAILED"}

    codeartifact.delete_package_versions(
        domain=DOMAIN, repository="pypi-store", format="pypi", package="acme-utils", versions=["99.0.0"]
    )
    clock.advance(minutes=1)
    deleted = version_event("pypi-store", "pypi", "acme-utils", "99.0.0", operationType="Deleted")
    assert run(service, deleted) == {"batchItemFailures": []}
    assert state_of(securityhub, version_arn("pypi-store/pypi//acme-utils/99.0.0")) == {"PG.PKG.3": "ARCHIVED"}


def test_a_deleted_repository_archives_itself_and_its_package_versions(
    make_service: Callable[..., Service], securityhub: Any, codeartifact: Any, clock: FakeClock
) -> None:
    codeartifact.create_repository(domain=DOMAIN, repository="scratch")
    codeartifact.associate_external_connection(
        domain=DOMAIN, repository="scratch", externalConnection="public:crates-io"
    )
    published("npm", "ui", "1.0.0", namespace="acme", repository="scratch")
    service = make_service(POLICY)
    run(
        service,
        cloudtrail("cloudtrail-codeartifact-associateexternalconnection.json", repository="scratch"),
        version_event("scratch", "npm", "ui", "1.0.0", packageNamespace="acme"),
    )
    assert state_of(securityhub, repository_arn("scratch")) == {"PG.PKG.1": "FAILED", "PG.PKG.4": "PASSED"}
    assert state_of(securityhub, version_arn("scratch/npm/acme/ui/1.0.0")) == {"PG.PKG.3": "PASSED"}

    late = cloudtrail("cloudtrail-codeartifact-createrepository.json", repository="scratch")
    codeartifact.delete_repository(domain=DOMAIN, repository="scratch")
    clock.advance(minutes=1)
    assert run(service, cloudtrail("cloudtrail-codeartifact-deleterepository.json", repository="scratch"), late) == {
        "batchItemFailures": []
    }
    assert set(state_of(securityhub, repository_arn("scratch")).values()) == {"ARCHIVED"}
    assert state_of(securityhub, version_arn("scratch/npm/acme/ui/1.0.0")) == {"PG.PKG.3": "ARCHIVED"}


def test_a_delete_event_for_a_repository_that_exists_again_judges_it(
    make_service: Callable[..., Service], securityhub: Any, codeartifact: Any
) -> None:
    run(make_service(POLICY), cloudtrail("cloudtrail-codeartifact-deleterepository.json", repository="pypi-store"))
    assert state_of(securityhub, repository_arn("pypi-store")) == {"PG.PKG.1": "PASSED", "PG.PKG.4": "PASSED"}


def test_package_group_calls_re_judge_the_domain(
    make_service: Callable[..., Service], securityhub: Any, codeartifact: Any, clock: FakeClock
) -> None:
    domain_arn = f"arn:aws:codeartifact:{REGION}:{ACCOUNT}:domain/{DOMAIN}"
    service = make_service({"packages": {"internal_namespaces": ["pypi:acme-*"]}})
    run(service, cloudtrail("cloudtrail-codeartifact-createpackagegroup.json", packageGroup="/pypi//acme~"))
    assert state_of(securityhub, domain_arn) == {"PG.PKG.2": "FAILED"}

    group(codeartifact, "/pypi//acme~", EXTERNAL_UPSTREAM="BLOCK")
    clock.advance(minutes=1)
    run(
        service,
        cloudtrail("cloudtrail-codeartifact-updatepackagegrouporiginconfiguration.json", packageGroup="/pypi//acme~"),
    )
    assert state_of(securityhub, domain_arn) == {"PG.PKG.2": "PASSED"}


def test_a_quiet_pass_clears_an_earlier_failure(
    make_service: Callable[..., Service], securityhub: Any, codeartifact: Any, clock: FakeClock
) -> None:
    ingested("npm", "react", "18.3.1", "public:npmjs")
    event = version_event("app", "npm", "react", "18.3.1")
    run(make_service({"packages": {"allowed_external_connections": ["public:pypi"]}}), event)
    assert state_of(securityhub, version_arn("app/npm//react/18.3.1")) == {"PG.PKG.3": "FAILED"}

    clock.advance(minutes=1)
    run(make_service({"packages": {"allowed_external_connections": ["public:pypi", "public:npmjs"]}}), event)
    assert state_of(securityhub, version_arn("app/npm//react/18.3.1")) == {"PG.PKG.3": "PASSED"}


def test_the_sweep_lists_internal_versions_and_re_checks_the_findings_it_does_not_list(
    make_service: Callable[..., Service], securityhub: Any, codeartifact: Any, clock: FakeClock
) -> None:
    published("pypi", "acme-utils", "1.0.0")
    published("pypi", "acme-utils", "1.1.0")
    ingested("npm", "react", "18.3.1", "public:npmjs")
    policy = {"packages": {"internal_namespaces": list(INTERNAL), "allowed_external_connections": ["public:pypi"]}}
    service = make_service(policy)
    run(
        service,
        version_event("app", "npm", "react", "18.3.1"),  # a public version through an unapproved connection
        version_event("internal", "pypi", "acme-utils", "1.1.0"),
    )
    codeartifact.delete_package_versions(
        domain=DOMAIN, repository="internal", format="pypi", package="acme-utils", versions=["1.1.0"]
    )  # and its Deleted event is lost
    clock.advance(minutes=1)

    scope = SweepScope(ACCOUNT, REGION, "aws")
    pages = list(plan_pages(service.clients, service.state, scope, policy=service.policy()))
    work = [w for page in pages for w in page_work(page) if w.resource.kind is CODEARTIFACT_PACKAGE_VERSION]

    assert {w.action for w in work} == {Action.EVALUATE}  # never archived unseen
    assert {w.resource.name for w in work} == {
        f"{DOMAIN}/internal/pypi//acme-utils/1.0.0",  # listed
        f"{DOMAIN}/app/npm//react/18.3.1",  # not listed (public), but it has a finding: re-checked
        f"{DOMAIN}/internal/pypi//acme-utils/1.1.0",  # not listed (gone), re-checked, then archived
    }
    for page in pages:
        service.pipeline.run(page_work(page))
    assert state_of(securityhub, version_arn("internal/pypi//acme-utils/1.1.0")) == {"PG.PKG.3": "ARCHIVED"}
    assert state_of(securityhub, version_arn("app/npm//react/18.3.1")) == {"PG.PKG.3": "FAILED"}
    assert state_of(securityhub, version_arn("internal/pypi//acme-utils/1.0.0")) == {"PG.PKG.3": "PASSED"}


def test_without_the_policy_the_sweep_skips_package_versions(codeartifact: Any) -> None:
    published("pypi", "acme-utils", "1.0.0")
    pages = plan_pages(ClientFactory(max_attempts=1), None, SweepScope(ACCOUNT, REGION, "aws"))
    kinds = {w.resource.kind.value for page in pages for w in page_work(page)}
    assert {"codeartifact-domain", "codeartifact-repository"} <= kinds
    assert "codeartifact-package-version" not in kinds

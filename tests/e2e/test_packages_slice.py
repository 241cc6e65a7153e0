"""The CodeArtifact family end to end: package version events and CodeArtifact CloudTrail records -> the
stack's rules -> the package_events handler -> findings in the emulator's Security Hub. The domain is made
through the emulator's CodeArtifact API and its package version seeding endpoint (sample_packages), under
the demo policy (internal namespace pypi:acme-*)."""

from __future__ import annotations

from typing import Any

import pytest

from provenance_guard_cli.replay import EventResult
from provenance_guard_cli.sample_account import ACCOUNT, REGION
from provenance_guard_cli.sample_packages import DOMAIN, INTERNAL_GROUP, PackagesAccount, cloudtrail, version_event

pytestmark = pytest.mark.e2e
PREFIX = f"arn:aws:codeartifact:{REGION}:{ACCOUNT}"


def found(result: EventResult, resource: str) -> dict[str, dict[str, Any]]:
    return {f["Compliance"]["SecurityControlId"]: f for f in result.findings if f["Resources"][0]["Id"] == resource}


def routed_once(result: EventResult) -> None:
    assert [(i.function, i.failed_records) for i in result.invocations] == [("package_events", 0)]


@pytest.fixture
def account(client: Any, backing: Any) -> PackagesAccount:
    packages = PackagesAccount(client)
    packages.mirror()
    return packages


def test_an_internal_name_pulled_from_pypi_is_critical_and_a_public_one_leaves_no_finding(
    account: PackagesAccount, replayer: Any
) -> None:
    account.seed("app", "acme-billing", "9.9.9", "public:pypi")
    account.seed("app", "requests", "2.32.3", "public:pypi")

    attack = replayer.replay(version_event("app", "acme-billing", "9.9.9"), "confusion")
    public = replayer.replay(version_event("app", "requests", "2.32.3"), "public")

    routed_once(attack)
    finding = found(attack, f"{PREFIX}:package/{DOMAIN}/app/pypi//acme-billing/9.9.9")["PG.PKG.3"]
    assert (finding["Compliance"]["Status"], finding["Severity"]["Label"]) == ("FAILED", "CRITICAL")
    assert finding["Compliance"]["StatusReasons"][0]["ReasonCode"] == "DEPENDENCY_CONFUSION"
    assert finding["Resources"][0]["Details"]["Other"]["PackageName"] == "acme-billing"
    routed_once(public)
    assert public.findings == []


def test_a_blocking_package_group_protects_the_internal_namespace(account: PackagesAccount, replayer: Any) -> None:
    account.internal_group()
    created = replayer.replay(
        cloudtrail("cloudtrail-codeartifact-createpackagegroup.json", packageGroup=INTERNAL_GROUP), "created"
    )
    account.internal_group(EXTERNAL_UPSTREAM="BLOCK")
    blocked = replayer.replay(
        cloudtrail("cloudtrail-codeartifact-updatepackagegrouporiginconfiguration.json", packageGroup=INTERNAL_GROUP),
        "blocked",
    )

    routed_once(created)
    assert found(created, f"{PREFIX}:domain/{DOMAIN}")["PG.PKG.2"]["Compliance"]["Status"] == "FAILED"
    assert found(blocked, f"{PREFIX}:domain/{DOMAIN}")["PG.PKG.2"]["Compliance"]["Status"] == "PASSED"


def test_an_unapproved_connection_and_an_open_domain_policy_fail(account: PackagesAccount, replayer: Any) -> None:
    account.crates_cache()
    account.open_domain()

    connection = replayer.replay(
        cloudtrail("cloudtrail-codeartifact-associateexternalconnection.json", repository="crates-cache"), "crates"
    )
    policy = replayer.replay(cloudtrail("cloudtrail-codeartifact-putdomainpermissionspolicy.json"), "open")

    repository = found(connection, f"{PREFIX}:repository/{DOMAIN}/crates-cache")
    assert repository["PG.PKG.1"]["Compliance"]["Status"] == "FAILED"
    assert repository["PG.PKG.4"]["Compliance"]["Status"] == "PASSED"
    domain = found(policy, f"{PREFIX}:domain/{DOMAIN}")["PG.PKG.4"]
    assert (domain["Compliance"]["Status"], domain["Severity"]["Label"]) == ("FAILED", "CRITICAL")


def test_a_deleted_repository_is_archived(account: PackagesAccount, replayer: Any, client: Any) -> None:
    replayer.replay(cloudtrail("cloudtrail-codeartifact-createrepository.json", repository="app"), "created")
    client("codeartifact").delete_repository(domain=DOMAIN, repository="app")

    deleted = replayer.replay(cloudtrail("cloudtrail-codeartifact-deleterepository.json", repository="app"), "deleted")

    routed_once(deleted)
    states = {f["RecordState"] for f in found(deleted, f"{PREFIX}:repository/{DOMAIN}/app").values()}
    assert states == {"ARCHIVED"}


def test_the_repository_administrators_copy_of_an_event_asks_for_nothing(
    account: PackagesAccount, replayer: Any
) -> None:
    event = version_event("app", "acme-billing", "9.9.9")
    event["detail"]["domainOwner"] = "111122223333"  # another account's domain

    result = replayer.replay(event, "not ours")

    routed_once(result)
    assert result.findings == []

"""triggers/codeartifact.py (CONTROLS.md §6.2): the documented package version event and the CodeArtifact
CloudTrail records -> work; both spellings of the request members; events about another account's domain
ask for nothing; malformed ones are refused with the reason."""

from __future__ import annotations

from typing import Any

import pytest

from provenance_guard.collect.codeartifact_domain import CODEARTIFACT_DOMAIN
from provenance_guard.collect.codeartifact_package import CODEARTIFACT_PACKAGE_VERSION
from provenance_guard.collect.codeartifact_repository import CODEARTIFACT_REPOSITORY
from provenance_guard.model import ResourceRef
from provenance_guard.triggers import parse_event
from provenance_guard.work import Action, EventError, Work
from tests.unit.support import load_event

CALLER = "123456789012"
OWNER = "111122223333"
REGION = "us-west-2"
REPOSITORY_CONTROLS = frozenset({"PG.PKG.1", "PG.PKG.4"})
GROUP_CONTROLS = frozenset({"PG.PKG.2"})


def repository(name: str = "example-repo") -> ResourceRef:
    return ResourceRef(CODEARTIFACT_REPOSITORY, f"example-domain/{name}", CALLER, REGION)


DOMAIN = ResourceRef(CODEARTIFACT_DOMAIN, "example-domain", CALLER, REGION)


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("cloudtrail-codeartifact-createrepository.json", [Work(Action.EVALUATE, repository(), REPOSITORY_CONTROLS)]),
        ("cloudtrail-codeartifact-updaterepository.json", [Work(Action.EVALUATE, repository(), REPOSITORY_CONTROLS)]),
        (
            "cloudtrail-codeartifact-associateexternalconnection.json",
            [Work(Action.EVALUATE, repository("pypi-store"), REPOSITORY_CONTROLS)],
        ),
        (
            "cloudtrail-codeartifact-disassociateexternalconnection.json",
            [Work(Action.EVALUATE, repository("pypi-store"), REPOSITORY_CONTROLS)],
        ),
        (
            "cloudtrail-codeartifact-putrepositorypermissionspolicy.json",
            [Work(Action.EVALUATE, repository(), REPOSITORY_CONTROLS)],
        ),
        (
            "cloudtrail-codeartifact-putdomainpermissionspolicy.json",
            [Work(Action.EVALUATE, DOMAIN, frozenset({"PG.PKG.4"}))],
        ),
        ("cloudtrail-codeartifact-createpackagegroup.json", [Work(Action.EVALUATE, DOMAIN, GROUP_CONTROLS)]),
        (
            "cloudtrail-codeartifact-updatepackagegrouporiginconfiguration.json",
            [Work(Action.EVALUATE, DOMAIN, GROUP_CONTROLS)],
        ),
        ("cloudtrail-codeartifact-deletepackagegroup.json", [Work(Action.EVALUATE, DOMAIN, GROUP_CONTROLS)]),
        ("cloudtrail-codeartifact-putpackageoriginconfiguration.json", [Work(Action.EVALUATE, DOMAIN, GROUP_CONTROLS)]),
        ("cloudtrail-codeartifact-deleterepository.json", [Work(Action.EXPAND, repository())]),
    ],
)
def test_documented_and_derived_cloudtrail_records(fixture: str, expected: list[Work]) -> None:
    assert parse_event(load_event(fixture)) == expected
    assert parse_event(load_event(fixture), "package_events") == expected


def test_the_api_and_the_user_guide_spellings_of_the_request_members_are_both_read() -> None:
    api = load_event("cloudtrail-codeartifact-createrepository.json")
    guide = load_event("cloudtrail-codeartifact-createrepository.json")
    parameters = guide["detail"]["requestParameters"]
    parameters["domainName"], parameters["repositoryName"] = parameters.pop("domain"), parameters.pop("repository")
    assert parse_event(api) == parse_event(guide)


def test_get_authorization_token_is_no_trigger() -> None:
    with pytest.raises(EventError, match="no provenance-guard trigger"):
        parse_event(load_event("cloudtrail-codeartifact-getauthorizationtoken.json"))


def test_the_codeartifact_create_repository_is_not_the_ecr_one() -> None:
    (work,) = parse_event(load_event("cloudtrail-codeartifact-createrepository.json"))
    assert work.resource.kind is CODEARTIFACT_REPOSITORY
    (ecr,) = parse_event(load_event("cloudtrail-ecr-createrepository.json"))
    assert ecr.resource.kind.value == "ecr-repository"


def with_parameters(fixture: str, **parameters: Any) -> dict[str, Any]:
    event = load_event(fixture)
    for key, value in parameters.items():
        if value is None:
            event["detail"]["requestParameters"].pop(key, None)
        else:
            event["detail"]["requestParameters"][key] = value
    return event


def test_a_call_on_another_accounts_domain_asks_for_nothing() -> None:
    assert parse_event(with_parameters("cloudtrail-codeartifact-createrepository.json", domainOwner=OWNER)) == []


def test_without_domain_owner_the_callers_domain_is_meant() -> None:
    event = with_parameters("cloudtrail-codeartifact-createpackagegroup.json", domainOwner=None)
    assert parse_event(event) == [Work(Action.EVALUATE, DOMAIN, GROUP_CONTROLS)]
    event["detail"]["userIdentity"]["accountId"] = OWNER  # another account's call on its own domain
    assert parse_event(event) == []


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"domain": None}, "has no domain or domainName"),
        ({"domain": "My_Domain"}, "not a CodeArtifact domain name"),
        ({"repository": "-x"}, "not a CodeArtifact repository name"),
        ({"repository": 7}, "not a non-empty string"),
        ({"domainOwner": "12345"}, "not a 12-digit account id"),
    ],
)
def test_malformed_records_are_refused_with_the_reason(parameters: dict[str, Any], message: str) -> None:
    with pytest.raises(EventError, match=message):
        parse_event(with_parameters("cloudtrail-codeartifact-createrepository.json", **parameters))


def test_a_failed_call_asks_for_nothing() -> None:
    event = load_event("cloudtrail-codeartifact-deleterepository.json")
    event["detail"]["errorCode"] = "ConflictException"
    assert parse_event(event) == []


def test_the_documented_package_version_event_goes_to_the_domain_owner() -> None:
    # the repository administrator's copy: the domain owner (111122223333) judges it
    assert parse_event(load_event("codeartifact-package-version-state-change.json")) == []
    version = ResourceRef(CODEARTIFACT_PACKAGE_VERSION, "my-domain/myrepo/npm//mypackage/1.0.0", OWNER, REGION)
    assert parse_event(load_event("codeartifact-package-version-state-change-domain-owner.json")) == [
        Work(Action.EVALUATE, version, frozenset({"PG.PKG.3"}))
    ]


def version_event(**detail: Any) -> dict[str, Any]:
    event = load_event("codeartifact-package-version-state-change-domain-owner.json")
    event["detail"].update(detail)
    return event


@pytest.mark.parametrize("operation", ["Created", "Updated", "Deleted"])
def test_every_operation_is_evaluated_deleted_versions_are_found_gone(operation: str) -> None:
    (work,) = parse_event(version_event(operationType=operation, packageVersionState="Disposed"))
    assert work.action is Action.EVALUATE


def test_event_names_are_normalised_as_codeartifact_stores_them() -> None:
    (work,) = parse_event(version_event(packageFormat="pypi", packageName="Acme_Utils"))
    assert work.resource.name == "my-domain/myrepo/pypi//acme-utils/1.0.0"
    (scoped,) = parse_event(version_event(packageNamespace="acme", packageName="ui"))
    assert scoped.resource.name == "my-domain/myrepo/npm/acme/ui/1.0.0"


@pytest.mark.parametrize(
    ("detail", "message"),
    [
        ({"packageFormat": "conda"}, "not a CodeArtifact package format"),
        ({"packageName": "a/b"}, "not a CodeArtifact package name"),
        ({"packageVersion": ""}, "packageVersion is not a non-empty string"),
        ({"packageNamespace": 3}, "not a package namespace"),
        ({"domainOwner": None}, "domainOwner is not a non-empty string"),
        ({"repositoryName": "x"}, "not a CodeArtifact repository name"),
    ],
)
def test_malformed_package_version_events_are_refused(detail: dict[str, Any], message: str) -> None:
    with pytest.raises(EventError, match=message):
        parse_event(version_event(**detail))

"""PG.PKG.4: domain and repository resource policies grant nothing to `*` or unknown accounts; every
Principal form, NotPrincipal, and the conditions that do (and do not) narrow `*`."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.codeartifact import CodeArtifactReader, Organization, PolicyReading
from provenance_guard.collect.codeartifact_domain import CODEARTIFACT_DOMAIN, DomainSnapshot
from provenance_guard.collect.codeartifact_repository import CODEARTIFACT_REPOSITORY, RepositoryCollector
from provenance_guard.controls import registry
from provenance_guard.model import ResourceRef, Severity, Status, Verdict
from tests.unit.codeartifact_support import DOMAIN, packages_policy, policy_document, statement
from tests.unit.support import ACCOUNT, CONTEXT, OTHER_ACCOUNT, REGION

ORG = "o-a1b2c3d4e5"
OTHER_ORG = "o-f6g7h8i9j0"
ORG_ARN = f"arn:aws:organizations::{OTHER_ACCOUNT}:organization/{OTHER_ORG}"
OU = "ou-ab12-11111111"
OU_ARN = f"arn:aws:organizations::{OTHER_ACCOUNT}:ou/{OTHER_ORG}/{OU}"


def domain(document: str | None, *, error: str | None = None, organization: str | None = ORG) -> DomainSnapshot:
    return DomainSnapshot(
        ref=ResourceRef(CODEARTIFACT_DOMAIN, DOMAIN, ACCOUNT, REGION),
        status="Active",
        repository_count=0,
        groups=(),
        groups_error=None,
        unreadable_patterns=(),
        policy=PolicyReading(document, error),
        organization=Organization(organization, f"organization {organization}" if organization else "none"),
        tags={},
    )


def judge(*statements: dict[str, Any], **packages: Any) -> Verdict:
    verdict = registry.get("PG.PKG.4").evaluate(
        domain(policy_document(*statements)), packages_policy(**packages), CONTEXT
    )
    assert verdict is not None
    return verdict


def status(*statements: dict[str, Any], **packages: Any) -> Status:
    return judge(*statements, **packages).status


def test_no_resource_policy_passes() -> None:
    verdict = registry.get("PG.PKG.4").evaluate(domain(None), packages_policy(), CONTEXT)
    assert verdict is not None
    assert verdict.status is Status.PASSED
    assert "no resource policy" in verdict.reasons[0].description


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["*"]}])
def test_a_grant_to_everyone_fails_critical(principal: Any) -> None:
    verdict = judge(statement(principal))
    assert verdict.status is Status.FAILED
    assert verdict.severity is Severity.CRITICAL
    assert verdict.reasons[0].code == "UNTRUSTED_GRANT"


@pytest.mark.parametrize(
    "principal",
    [
        ACCOUNT,
        f"arn:aws:iam::{ACCOUNT}:root",
        f"arn:aws:iam::{ACCOUNT}:role/ci",
        f"arn:aws:sts::{ACCOUNT}:assumed-role/ci/s",
    ],
)
def test_the_account_itself_in_every_principal_form_passes(principal: str) -> None:
    assert status(statement({"AWS": principal})) is Status.PASSED


def test_another_account_fails_high_unless_allowed() -> None:
    verdict = judge(statement({"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}))
    assert verdict.status is Status.FAILED
    assert verdict.severity is None
    assert OTHER_ACCOUNT in verdict.reasons[0].description
    assert status(statement({"AWS": OTHER_ACCOUNT}), allowed_principals=[OTHER_ACCOUNT]) is Status.PASSED


def test_only_the_untrusted_principals_of_a_list_are_named() -> None:
    verdict = judge(statement({"AWS": [ACCOUNT, "999988887777"]}, Sid="Share"))
    assert [r.description.split(":")[0] for r in verdict.reasons] == ["statement Share grants to AWS"]
    assert "999988887777" in verdict.reasons[0].description
    assert len(verdict.reasons) == 1


@pytest.mark.parametrize(
    ("condition", "packages", "expected"),
    [
        ({"StringEquals": {"aws:PrincipalOrgID": ORG}}, {}, Status.PASSED),
        ({"StringEquals": {"aws:principalorgid": ORG}}, {}, Status.PASSED),  # keys are case-insensitive
        ({"StringEquals": {"aws:PrincipalOrgID": OTHER_ORG}}, {}, Status.FAILED),
        ({"StringEquals": {"aws:PrincipalOrgID": OTHER_ORG}}, {"allowed_principals": [ORG_ARN]}, Status.PASSED),
        ({"StringEquals": {"aws:PrincipalOrgID": [ORG, OTHER_ORG]}}, {}, Status.FAILED),  # alternatives: all
        ({"StringLike": {"aws:PrincipalOrgID": "o-*"}}, {}, Status.FAILED),
        ({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{ORG}/*"}}, {}, Status.PASSED),
        ({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{OTHER_ORG}/r-ab12/{OU}/*"}}, {}, Status.FAILED),
        (
            {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{OTHER_ORG}/r-ab12/{OU}/*"}},
            {"allowed_principals": [OU_ARN]},
            Status.PASSED,
        ),
        ({"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}, {}, Status.PASSED),
        ({"StringLike": {"aws:PrincipalAccount": "1234*"}}, {}, Status.FAILED),
        ({"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/*"}}, {}, Status.PASSED),
        ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ci"}}, {}, Status.FAILED),
        ({"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}}, {}, Status.FAILED),  # true when absent
        ({"ForAllValues:StringEquals": {"aws:PrincipalOrgID": ORG}}, {}, Status.FAILED),  # true when absent
        ({"StringNotEquals": {"aws:PrincipalOrgID": OTHER_ORG}}, {}, Status.FAILED),  # negation narrows nothing
        ({"StringEquals": {"aws:SourceAccount": ACCOUNT}}, {}, Status.FAILED),  # a source key: not the caller's
        ({"Bool": {"aws:SecureTransport": "true"}}, {}, Status.FAILED),
        (
            {"StringEquals": {"aws:PrincipalOrgID": OTHER_ORG, "aws:PrincipalAccount": ACCOUNT}},
            {},
            Status.PASSED,  # all conditions apply: one trusted key is enough
        ),
    ],
)
def test_conditions_that_narrow_everyone(condition: dict[str, Any], packages: dict[str, Any], expected: Status) -> None:
    assert status(statement("*", condition), **packages) is expected


def test_without_a_known_organization_only_the_policy_trusts_one() -> None:
    document = policy_document(statement("*", {"StringEquals": {"aws:PrincipalOrgID": ORG}}))
    verdict = registry.get("PG.PKG.4").evaluate(domain(document, organization=None), packages_policy(), CONTEXT)
    assert verdict is not None
    assert verdict.status is Status.FAILED


def test_another_account_narrowed_to_the_organization_passes() -> None:
    assert status(statement({"AWS": OTHER_ACCOUNT}, {"StringEquals": {"aws:PrincipalOrgID": ORG}})) is Status.PASSED


def test_allow_with_not_principal_fails_critical() -> None:
    verdict = judge({"Effect": "Allow", "NotPrincipal": {"AWS": ACCOUNT}, "Action": "*", "Resource": "*"})
    assert verdict.status is Status.FAILED
    assert verdict.severity is Severity.CRITICAL


def test_deny_statements_grant_nothing() -> None:
    assert status(statement("*", effect="Deny"), statement({"AWS": ACCOUNT})) is Status.PASSED


def test_service_principals_need_a_trusted_source_condition() -> None:
    service = {"Service": "codebuild.amazonaws.com"}
    assert status(statement(service)) is Status.FAILED
    assert status(statement(service, {"StringEquals": {"aws:SourceAccount": ACCOUNT}})) is Status.PASSED
    assert status(statement(service, {"StringEquals": {"aws:SourceOrgID": ORG}})) is Status.PASSED
    assert (
        status(statement(service, {"ArnLike": {"aws:SourceArn": "arn:aws:codebuild:*:999988887777:*"}}))
        is Status.FAILED
    )


def test_federated_and_unattributable_principals_fail() -> None:
    assert status(statement({"Federated": "cognito-identity.amazonaws.com"})) is Status.FAILED
    assert status(statement({"AWS": "AIDACKCEVSQ6C2EXAMPLE"})) is Status.FAILED


def test_a_single_statement_object_is_read() -> None:
    document = '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "*"}}'
    verdict = registry.get("PG.PKG.4").evaluate(domain(document), packages_policy(), CONTEXT)
    assert verdict is not None
    assert verdict.status is Status.FAILED


@pytest.mark.parametrize("document", ["not json", "[]", '{"Statement": 3}', '{"Statement": ["x"]}'])
def test_an_unreadable_document_is_not_available(document: str) -> None:
    verdict = registry.get("PG.PKG.4").evaluate(domain(document), packages_policy(), CONTEXT)
    assert verdict is not None
    assert (verdict.status, verdict.reasons[0].code) == (
        Status.NOT_AVAILABLE,
        "POLICY_UNPARSABLE",
    )


def test_a_policy_that_cannot_be_read_is_not_available() -> None:
    verdict = registry.get("PG.PKG.4").evaluate(
        domain(None, error="AccessDeniedException: no"), packages_policy(), CONTEXT
    )
    assert verdict is not None
    assert (verdict.status, verdict.reasons[0].code) == (
        Status.NOT_AVAILABLE,
        "POLICY_UNREADABLE",
    )


def test_repository_policies_are_judged_too(aws: None) -> None:
    codeartifact = boto3.client("codeartifact", region_name=REGION)
    codeartifact.create_domain(domain=DOMAIN)
    codeartifact.create_repository(domain=DOMAIN, repository="app")
    codeartifact.put_repository_permissions_policy(
        domain=DOMAIN, repository="app", policyDocument=policy_document(statement({"AWS": OTHER_ACCOUNT}))
    )
    clients = ClientFactory()
    snapshot = RepositoryCollector(clients, CodeArtifactReader(clients)).collect(
        ResourceRef(CODEARTIFACT_REPOSITORY, f"{DOMAIN}/app", ACCOUNT, REGION)
    )
    verdict = registry.get("PG.PKG.4").evaluate(snapshot, packages_policy(), CONTEXT)
    assert verdict is not None
    assert verdict.status is Status.FAILED
    assert OTHER_ACCOUNT in verdict.reasons[0].description
    assert registry.get("PG.PKG.4") in registry.for_kind(CODEARTIFACT_REPOSITORY)

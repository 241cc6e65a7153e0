"""PG.PKG.2's remediation against the emulator's CodeArtifact: a group created for an unprotected namespace, an
existing group of the namespace blocked rather than duplicated, an open narrower group inside the namespace
blocked, and what is never touched (a group that also matches public packages, the root group), each
verified by a fresh evaluation and the finding's Workflow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from provenance_guard.collect.codeartifact_domain import CODEARTIFACT_DOMAIN
from provenance_guard.collect.codeartifact_names import NamespaceSet
from provenance_guard.model import ResourceRef
from provenance_guard.policy_packages import parse_namespace
from provenance_guard.remediation.engine import Outcome
from provenance_guard.remediation.packages import tightest_pattern
from provenance_guard.service import Service
from provenance_guard.work import Action, Work
from tests.unit.codeartifact_support import DOMAIN, acme_domain, group
from tests.unit.support import ACCOUNT, REGION
from tests.unit.test_remediation import hub_finding, reasons_of

DOMAIN_REF = ResourceRef(CODEARTIFACT_DOMAIN, DOMAIN, ACCOUNT, REGION)


@pytest.fixture
def codeartifact(aws: None) -> Any:
    client = boto3.client("codeartifact", region_name=REGION)
    acme_domain(client)
    return client


def policy(*namespaces: str) -> dict[str, Any]:
    return {"remediation": {"PG.PKG.2": "on-demand"}, "packages": {"internal_namespaces": list(namespaces)}}


def external_upstream(codeartifact: Any, pattern: str) -> dict[str, Any]:
    described = codeartifact.describe_package_group(domain=DOMAIN, packageGroup=pattern)["packageGroup"]
    return dict(described["originConfiguration"]["restrictions"]["EXTERNAL_UPSTREAM"])


def patterns(codeartifact: Any) -> set[str]:
    return {g["pattern"] for g in codeartifact.list_package_groups(domain=DOMAIN)["packageGroups"]}


def remediate(service: Service, securityhub: Any) -> Any:
    service.pipeline.run([Work(Action.EVALUATE, DOMAIN_REF)])
    selected = reasons_of(securityhub, DOMAIN_REF, "PG.PKG.2")
    return service.remediator.remediate("PG.PKG.2", DOMAIN_REF, reasons=selected)


@pytest.mark.parametrize(
    ("entry", "pattern"),
    [
        ("npm:@acme", "/npm/acme/*"),
        ("npm:@acme/ui", "/npm/acme/ui$"),
        ("npm:@acme/ui-*", "/npm/acme/ui~"),
        ("maven:com.acme", "/maven/com.acme/*"),
        ("maven:com.acme:core-*", "/maven/com.acme/core~"),
        ("pypi:acme-*", "/pypi//acme~"),
        ("pypi:Acme_Utils", "/pypi//acme-utils$"),
        ("nuget:Acme.*", "/nuget//acme~"),
        ("maven:com.acme.*", "/maven/com.acme~"),
        ("maven:com.acme*", None),  # com.acmecorp matches, no `~` prefix does
        ("npm:@ac*me", None),
    ],
)
def test_the_tightest_pattern_covering_a_namespace(entry: str, pattern: str | None) -> None:
    found = tightest_pattern(NamespaceSet.of(entry, parse_namespace(entry)))
    assert (found.text if found else None) == pattern


def test_an_unprotected_namespace_gets_its_own_blocking_group(
    make_service: Callable[..., Service], codeartifact: Any, securityhub: Any
) -> None:
    service = make_service(policy("npm:@acme", "maven:com.acme"))

    result = remediate(service, securityhub)

    assert result.outcome is Outcome.RESOLVED, result.detail
    assert patterns(codeartifact) == {"/*", "/npm/acme/*", "/maven/com.acme/*"}
    for created in ("/npm/acme/*", "/maven/com.acme/*"):
        assert external_upstream(codeartifact, created)["mode"] == "BLOCK"
        described = codeartifact.describe_package_group(domain=DOMAIN, packageGroup=created)["packageGroup"]
        assert described["originConfiguration"]["restrictions"]["PUBLISH"]["mode"] == "INHERIT"
        assert "provenance-guard" in described["description"]
    assert external_upstream(codeartifact, "/*")["mode"] == "ALLOW"  # public packages still flow
    finding = hub_finding(securityhub, DOMAIN_REF, "PG.PKG.2")
    assert finding["Compliance"]["Status"] == "PASSED"
    assert finding["Workflow"]["Status"] == "RESOLVED"
    assert "creating /npm/acme/*, /maven/com.acme/*" in finding["Note"]["Text"]


def test_the_namespaces_own_open_group_is_blocked_not_duplicated(
    make_service: Callable[..., Service], codeartifact: Any, securityhub: Any
) -> None:
    group(codeartifact, "/npm/acme/*", EXTERNAL_UPSTREAM="ALLOW")
    service = make_service(policy("npm:@acme"))

    result = remediate(service, securityhub)

    assert result.outcome is Outcome.RESOLVED, result.detail
    assert patterns(codeartifact) == {"/*", "/npm/acme/*"}
    assert external_upstream(codeartifact, "/npm/acme/*")["mode"] == "BLOCK"
    assert result.change is not None
    assert result.change.before == "/npm/acme/* EXTERNAL_UPSTREAM ALLOW"


def test_an_open_narrower_group_inside_the_namespace_is_blocked(
    make_service: Callable[..., Service], codeartifact: Any, securityhub: Any
) -> None:
    group(codeartifact, "/npm/acme/*", EXTERNAL_UPSTREAM="BLOCK")
    group(codeartifact, "/npm/acme/ui$", EXTERNAL_UPSTREAM="ALLOW")
    service = make_service(policy("npm:@acme"))

    result = remediate(service, securityhub)

    assert result.outcome is Outcome.RESOLVED, result.detail
    assert external_upstream(codeartifact, "/npm/acme/ui$")["mode"] == "BLOCK"


def test_a_namespace_whose_tightest_group_matches_public_packages_is_left_alone(
    make_service: Callable[..., Service], codeartifact: Any, securityhub: Any
) -> None:
    service = make_service(policy("pypi:acme-*"))  # /pypi//acme~ would also block the public `acme`

    result = remediate(service, securityhub)

    assert result.outcome is Outcome.NOT_REMEDIABLE
    assert patterns(codeartifact) == {"/*"}
    assert external_upstream(codeartifact, "/*")["mode"] == "ALLOW"
    assert hub_finding(securityhub, DOMAIN_REF, "PG.PKG.2")["Compliance"]["Status"] == "FAILED"


def test_what_can_be_fixed_is_fixed_and_the_rest_is_named(
    make_service: Callable[..., Service], codeartifact: Any, securityhub: Any
) -> None:
    service = make_service(policy("npm:@acme", "pypi:acme-*"))

    result = remediate(service, securityhub)

    assert result.outcome is Outcome.NOT_FIXED
    assert "left for a person: pypi:acme-*: no package group pattern matches only this namespace" in result.detail
    assert "/pypi//acme~ would also match other packages" in result.detail
    assert external_upstream(codeartifact, "/npm/acme/*")["mode"] == "BLOCK"
    finding = hub_finding(securityhub, DOMAIN_REF, "PG.PKG.2")
    assert finding["Workflow"]["Status"] == "NOTIFIED"
    assert [r["Description"] for r in finding["Compliance"]["StatusReasons"]] == [
        "pypi:acme-*: governed by /*: EXTERNAL_UPSTREAM ALLOW"
    ]


def test_a_dry_run_shows_the_calls_and_changes_nothing(
    make_service: Callable[..., Service], codeartifact: Any, securityhub: Any
) -> None:
    service = make_service(policy("npm:@acme"))
    service.pipeline.run([Work(Action.EVALUATE, DOMAIN_REF)])

    result = service.remediator.remediate("PG.PKG.2", DOMAIN_REF, apply=False)

    assert result.outcome is Outcome.PLANNED
    assert result.change is not None
    where = f"--domain {DOMAIN} --domain-owner {ACCOUNT}"
    assert result.change.call == (
        f"aws codeartifact create-package-group {where} --package-group '/npm/acme/*' && "
        f"aws codeartifact update-package-group-origin-configuration {where} --package-group '/npm/acme/*' "
        "--restrictions EXTERNAL_UPSTREAM=BLOCK"
    )
    assert patterns(codeartifact) == {"/*"}

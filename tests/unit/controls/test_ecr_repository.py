"""PG.ECR.1 (scanning coverage) and PG.ECR.2 (tag immutability), pure."""

from __future__ import annotations

import pytest

from provenance_guard.controls.ecr_repository import immutable_tags, scanning_enabled
from provenance_guard.model import Status
from provenance_guard.policy import Policy
from tests.unit.ecr_support import repository, scanning
from tests.unit.support import CONTEXT

POLICY = Policy()


@pytest.mark.parametrize(
    ("registry", "scan_on_push", "status", "code"),
    [
        pytest.param(
            scanning("ENHANCED", ("CONTINUOUS_SCAN", "*")), False, Status.PASSED, "PASSED", id="enhanced-continuous"
        ),
        pytest.param(
            scanning("ENHANCED", ("SCAN_ON_PUSH", "team/*")), False, Status.PASSED, "PASSED", id="enhanced-push"
        ),
        pytest.param(scanning("BASIC", ("SCAN_ON_PUSH", "*")), False, Status.PASSED, "PASSED", id="basic-rule"),
        pytest.param(
            scanning("BASIC", ("CONTINUOUS_SCAN", "team/a*")), False, Status.PASSED, "PASSED", id="basic-wildcard"
        ),
        pytest.param(scanning("BASIC"), True, Status.PASSED, "PASSED", id="basic-repository-scan-on-push"),
        pytest.param(scanning("BASIC"), False, Status.FAILED, "NOT_COVERED", id="nothing"),
        pytest.param(
            scanning("BASIC", ("MANUAL", "*")), False, Status.FAILED, "MANUAL_ONLY", id="manual-does-not-count"
        ),
        pytest.param(scanning("ENHANCED", ("MANUAL", "*")), True, Status.FAILED, "MANUAL_ONLY", id="enhanced-manual"),
        pytest.param(
            scanning("ENHANCED", ("CONTINUOUS_SCAN", "prod-*")),
            True,
            Status.FAILED,
            "NOT_COVERED",
            id="enhanced-other-repos",
        ),
        pytest.param(
            scanning("BASIC", ("SCAN_ON_PUSH", "team")), False, Status.FAILED, "NOT_COVERED", id="whole-name-match"
        ),
    ],
)
def test_scanning_coverage(registry, scan_on_push, status, code):
    verdict = scanning_enabled(repository(registry_scanning=registry, scan_on_push=scan_on_push), POLICY, CONTEXT)
    assert verdict.status is status
    assert verdict.reasons[0].code == code


def test_registry_rules_win_over_the_repository_flag():
    """Prowler/Powerpipe fail a repository whose own scanOnPush is off even when a registry rule scans it."""
    verdict = scanning_enabled(
        repository(registry_scanning=scanning("ENHANCED", ("CONTINUOUS_SCAN", "*")), scan_on_push=False),
        POLICY,
        CONTEXT,
    )
    assert verdict.status is Status.PASSED
    assert verdict.evidence == {
        "RegistryScanType": "ENHANCED",
        "RegistryRule": "CONTINUOUS_SCAN (filter *)",
        "RepositoryScanOnPush": "false",
    }


def test_continuous_wins_over_manual_when_both_match():
    registry = scanning("ENHANCED", ("MANUAL", "team/*"), ("CONTINUOUS_SCAN", "team/app"))
    assert scanning_enabled(repository(registry_scanning=registry), POLICY, CONTEXT).status is Status.PASSED


@pytest.mark.parametrize(
    ("mutability", "exclusions", "status"),
    [
        ("IMMUTABLE", (), Status.PASSED),
        ("IMMUTABLE_WITH_EXCLUSION", ("latest",), Status.PASSED),
        ("IMMUTABLE_WITH_EXCLUSION", ("latest", "dev-*"), Status.FAILED),
        ("IMMUTABLE_WITH_EXCLUSION", ("*",), Status.FAILED),
        ("MUTABLE", (), Status.FAILED),
        ("MUTABLE_WITH_EXCLUSION", ("v*",), Status.FAILED),
    ],
)
def test_tag_immutability(mutability, exclusions, status):
    repo = repository(tag_mutability=mutability, mutability_exclusions=exclusions)
    assert immutable_tags(repo, POLICY, CONTEXT).status is status


def test_allowed_mutable_tags_come_from_the_policy():
    policy = Policy.from_document({"version": 1, "container": {"allowed_mutable_tags": ["latest", "dev-*"]}})
    repo = repository(tag_mutability="IMMUTABLE_WITH_EXCLUSION", mutability_exclusions=("dev-*",))
    verdict = immutable_tags(repo, policy, CONTEXT)
    assert verdict.status is Status.PASSED
    broad = immutable_tags(
        repository(tag_mutability="IMMUTABLE_WITH_EXCLUSION", mutability_exclusions=("d*",)), policy, CONTEXT
    )
    assert broad.status is Status.FAILED
    assert broad.reasons[0].description.startswith("tags matching d* stay mutable")


def test_mutable_tags_say_why():
    verdict = immutable_tags(repository(tag_mutability="MUTABLE"), POLICY, CONTEXT)
    assert verdict.reasons[0].code == "MUTABLE_TAGS"
    assert verdict.evidence["ImageTagMutability"] == "MUTABLE"

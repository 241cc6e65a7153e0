"""exemptions.py: which unexpired exemption, if any, covers a FAILED result."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from provenance_guard.exemptions import find_exemption
from provenance_guard.findings import ExemptionApplied
from provenance_guard.policy import Exemption, Policy

TODAY = date(2025, 1, 15)
ARN = "arn:aws:ec2:us-east-1::image/ami-0legacy1234567890"


def exemptions(*entries: dict[str, Any]) -> tuple[Exemption, ...]:
    """Built through the policy loader, as the service builds them."""
    defaults = {"reason": "tracked in SEC-1", "expires": "2025-06-30"}
    return Policy.from_document({"exemptions": [{**defaults, **e} for e in entries]}).exemptions


def find(entries: tuple[Exemption, ...], control: str = "PG.AMI.3", arn: str = ARN, **tags: str) -> Any:
    return find_exemption(entries, control, arn, tags, TODAY)


def test_a_matching_exemption_returns_its_reason_and_expiry() -> None:
    assert find(exemptions({"resources": [ARN]})) == ExemptionApplied("tracked in SEC-1", date(2025, 6, 30))


@pytest.mark.parametrize(("expires", "applies"), [("2025-01-14", False), ("2025-01-15", True), ("2025-01-16", True)])
def test_an_expired_exemption_is_ignored(expires: str, applies: bool) -> None:
    found = find(exemptions({"resources": ["*"], "expires": expires}))
    assert (found is not None) is applies


@pytest.mark.parametrize(
    ("pattern", "matches"),
    [
        (ARN, True),
        ("arn:aws:ec2:*::image/ami-0legacy*", True),
        ("arn:aws:ec2:eu-west-1::image/*", False),
        ("*", True),
        ("arn:aws:ec2:us-east-1::image/ami-0LEGACY*", False),
    ],
)
def test_resources_are_arn_globs(pattern: str, matches: bool) -> None:
    assert (find(exemptions({"resources": [pattern]})) is not None) is matches


@pytest.mark.parametrize(
    ("tags", "matches"),
    [
        ({"exemption": "legacy", "team": "core"}, True),
        ({"exemption": "legacy-v2", "team": "core"}, True),
        ({"exemption": "legacy"}, False),  # every listed tag must match
        ({"exemption": "other", "team": "core"}, False),
        ({}, False),
    ],
)
def test_tags_must_all_carry_an_allowed_value(tags: dict[str, str], matches: bool) -> None:
    entries = exemptions({"tags": {"exemption": ["legacy", "legacy-v2"], "team": ["core"]}})
    assert (find(entries, **tags) is not None) is matches


def test_resources_or_tags_either_one_suffices() -> None:
    entries = exemptions({"resources": ["arn:aws:ec2:*::image/ami-0other*"], "tags": {"exemption": ["legacy"]}})
    assert find(entries, exemption="legacy") is not None
    assert find(entries, arn="arn:aws:ec2:us-east-1::image/ami-0other1") is not None
    assert find(entries) is None


@pytest.mark.parametrize(
    ("controls", "control", "matches"),
    [
        (["PG.AMI.3"], "PG.AMI.3", True),
        (["PG.AMI.*"], "PG.AMI.1", True),
        (["PG.AMI.*"], "PG.EC2.1", False),
        (["PG.AMI.1", "PG.EC2.1"], "PG.AMI.3", False),
        (["*"], "PG.LAMBDA.6", True),
    ],
)
def test_controls_are_patterns(controls: list[str], control: str, matches: bool) -> None:
    assert (find(exemptions({"controls": controls, "resources": ["*"]}), control) is not None) is matches


def test_controls_default_to_every_control() -> None:
    assert find(exemptions({"resources": ["*"]}), "PG.ECR.5") is not None


def test_no_resources_and_no_tags_matches_nothing() -> None:
    entries = exemptions({"controls": ["*"]})
    assert find(entries) is None
    assert find(entries, exemption="legacy") is None


def test_the_first_matching_exemption_wins() -> None:
    entries = exemptions(
        {"resources": ["*"], "reason": "expired one", "expires": "2024-12-31"},
        {"resources": ["*"], "controls": ["PG.EC2.*"], "reason": "other control"},
        {"resources": [ARN], "reason": "first match"},
        {"resources": ["*"], "reason": "second match"},
    )
    found = find(entries)
    assert found is not None
    assert found.reason == "first match"

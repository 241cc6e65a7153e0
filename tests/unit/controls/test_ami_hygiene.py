"""controls/ami_hygiene.py: PG.AMI.2 hardening evidence, PG.AMI.4 encryption, PG.AMI.5 freshness,
PG.AMI.6 IMDSv2 — pass and fail of each, judged purely on snapshots."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from provenance_guard.collect.ami import BlockDevice
from provenance_guard.controls import registry
from provenance_guard.controls.registry import EvaluationContext
from provenance_guard.model import Status, Verdict
from provenance_guard.policy import Policy
from tests.unit.support import ACCOUNT, REGION, T0, ami_snapshot
from tests.unit.support import CONTEXT as CTX

STIG = "arn:aws:imagebuilder:us-east-1:aws:component/stig-build-linux-high/2025.1.0/1"
CIS_PATTERN = "arn:aws:imagebuilder:*:aws:component/cis-hardening-*"
STIG_PATTERN = "arn:aws:imagebuilder:*:aws:component/stig-build-linux-*"
UPDATE = "arn:aws:imagebuilder:us-east-1:aws:component/update-linux/1.0.2/1"


def judge(control_id: str, policy: Policy = Policy(), **snapshot: Any) -> Verdict | None:
    return registry.get(control_id).evaluate(ami_snapshot(**snapshot), policy, CTX)


def judged(control_id: str, policy: Policy = Policy(), **snapshot: Any) -> Verdict:
    verdict = judge(control_id, policy, **snapshot)
    assert verdict is not None
    return verdict


def hardening_policy(components: list[str] | None = None, tags: dict[str, list[str]] | None = None) -> Policy:
    return Policy.from_document(
        {"ami": {"hardening": {"required_components": components or [], "required_tags": tags or {}}}}
    )


# --- PG.AMI.2 -------------------------------------------------------------------------------------


def test_ami2_is_not_judged_when_the_policy_asks_for_no_evidence():
    assert judge("PG.AMI.2") is None


def test_ami2_passes_with_a_stig_component_in_the_recipe():
    verdict = judged("PG.AMI.2", hardening_policy([CIS_PATTERN, STIG_PATTERN]), recipe_components=(UPDATE, STIG))
    assert verdict.status is Status.PASSED
    assert STIG in verdict.reasons[0].description
    assert STIG in verdict.evidence["RecipeComponents"]


def test_ami2_fails_when_the_recipe_has_no_hardening_component():
    verdict = judged("PG.AMI.2", hardening_policy([STIG_PATTERN]), recipe_components=(UPDATE,))
    assert verdict.status is Status.FAILED
    assert [r.code for r in verdict.reasons] == ["NO_HARDENING_COMPONENT"]
    assert "no component matching" in verdict.reasons[0].description


def test_ami2_fails_when_not_built_by_image_builder():
    verdict = judged("PG.AMI.2", hardening_policy([STIG_PATTERN]))
    assert verdict.status is Status.FAILED
    assert "not built by EC2 Image Builder" in verdict.reasons[0].description


def test_ami2_says_when_the_image_builder_image_was_unreadable():
    verdict = judged("PG.AMI.2", hardening_policy([STIG_PATTERN]), image_builder_error="AccessDeniedException: no")
    assert verdict.status is Status.FAILED
    assert "could not be read" in verdict.reasons[0].description
    assert verdict.evidence["RecipeComponents"] == "unreadable"


def test_ami2_passes_with_every_required_tag():
    policy = hardening_policy(tags={"Hardening": ["CIS-Level-1", "STIG"], "Scanner": ["inspector"]})
    verdict = judged("PG.AMI.2", policy, tags={"Hardening": "STIG", "Scanner": "inspector", "Team": "x"})
    assert verdict.status is Status.PASSED
    assert verdict.evidence["Tags"] == "Hardening=STIG, Scanner=inspector"


def test_ami2_fails_on_a_missing_tag_and_a_wrong_value():
    policy = hardening_policy(tags={"Hardening": ["CIS-Level-1"], "Scanner": ["inspector"]})
    verdict = judged("PG.AMI.2", policy, tags={"Hardening": "homegrown"})
    assert verdict.status is Status.FAILED
    descriptions = [r.description for r in verdict.reasons]
    assert descriptions == ["tag Hardening='homegrown' is not one of CIS-Level-1", "tag Scanner is missing"]


# --- PG.AMI.4 -------------------------------------------------------------------------------------


def test_ami4_passes_when_every_ebs_snapshot_is_encrypted():
    devices = (BlockDevice("/dev/xvda", "snap-1", True), BlockDevice("/dev/sdb", None, None))
    verdict = judged("PG.AMI.4", block_devices=devices)
    assert verdict.status is Status.PASSED
    assert verdict.evidence["EbsDevices"] == "/dev/xvda:snap-1"


def test_ami4_fails_naming_each_unencrypted_device():
    devices = (BlockDevice("/dev/xvda", "snap-1", True), BlockDevice("/dev/sdf", "snap-2", False))
    verdict = judged("PG.AMI.4", block_devices=devices)
    assert verdict.status is Status.FAILED
    assert verdict.evidence["UnencryptedDevices"] == "/dev/sdf"
    assert verdict.reasons[0].description == "/dev/sdf (snap-2) is not encrypted"


def test_ami4_instance_store_ami_has_nothing_to_encrypt():
    verdict = judged("PG.AMI.4", block_devices=(BlockDevice("/dev/sdb", None, None),))
    assert verdict.status is Status.PASSED


def test_ami4_is_off_when_the_policy_does_not_require_encryption():
    policy = Policy.from_document({"ami": {"require_encrypted_snapshots": False}})
    assert judge("PG.AMI.4", policy, block_devices=(BlockDevice("/dev/xvda", "s", False),)) is None


# --- PG.AMI.5 -------------------------------------------------------------------------------------


def test_ami5_passes_for_a_young_ami_with_a_future_deprecation_time():
    verdict = judged("PG.AMI.5")
    assert verdict.status is Status.PASSED
    assert verdict.evidence["CreationDate"] == (T0 - timedelta(days=5)).isoformat()


def test_ami5_finding_does_not_change_from_one_day_to_the_next():
    """A day-count in the evidence would make every sweep re-import every AMI finding."""
    today = judged("PG.AMI.5")
    tomorrow = registry.get("PG.AMI.5").evaluate(
        ami_snapshot(), Policy(), EvaluationContext(ACCOUNT, REGION, "aws", T0 + timedelta(days=1))
    )
    assert tomorrow == today


@pytest.mark.parametrize(
    ("snapshot", "code"),
    [
        ({"creation_date": T0 - timedelta(days=90)}, "TOO_OLD"),
        ({"deprecation_time": None}, "NO_DEPRECATION_TIME"),
        ({"deprecation_time": T0 - timedelta(minutes=1)}, "DEPRECATED"),
        ({"state": "disabled"}, "DISABLED"),
        ({"creation_date": None}, "UNKNOWN_AGE"),
    ],
)
def test_ami5_fails(snapshot, code):
    verdict = judged("PG.AMI.5", **snapshot)
    assert verdict.status is Status.FAILED
    assert [r.code for r in verdict.reasons] == [code]


def test_ami5_age_limit_and_deprecation_requirement_come_from_the_policy():
    policy = Policy.from_document({"ami": {"max_age_days": 200, "require_deprecation_time": False}})
    verdict = judged("PG.AMI.5", policy, creation_date=T0 - timedelta(days=150), deprecation_time=None)
    assert verdict.status is Status.PASSED


def test_ami5_reports_every_problem_at_once():
    verdict = judge("PG.AMI.5", creation_date=T0 - timedelta(days=400), deprecation_time=None, state="disabled")
    assert verdict is not None
    assert [r.code for r in verdict.reasons] == ["DISABLED", "TOO_OLD", "NO_DEPRECATION_TIME"]


# --- PG.AMI.6 -------------------------------------------------------------------------------------


def test_ami6_passes_with_imds_v2():
    verdict = judged("PG.AMI.6")
    assert verdict.status is Status.PASSED


def test_ami6_fails_without_imds_support():
    verdict = judged("PG.AMI.6", imds_support=None)
    assert verdict.status is Status.FAILED
    assert verdict.evidence["ImdsSupport"] == "not set (IMDSv1 allowed)"


def test_ami6_is_off_when_the_policy_does_not_require_imdsv2():
    assert judge("PG.AMI.6", Policy.from_document({"ami": {"require_imdsv2": False}}), imds_support=None) is None

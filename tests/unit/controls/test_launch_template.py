"""controls/launch_template.py: PG.EC2.2 judges each of a template's default and latest versions by the AMI
controls (PG.AMI.1, 2, 5) on the AMI it launches now."""

from __future__ import annotations

from datetime import timedelta

from provenance_guard.collect.launch_template import LAUNCH_TEMPLATE, LaunchTemplateSnapshot, TemplateVersion
from provenance_guard.controls import registry
from provenance_guard.model import ResourceRef, Status, Verdict
from provenance_guard.policy import Policy
from tests.unit.support import ACCOUNT, OTHER_ACCOUNT, REGION, T0, ami_ref, ami_snapshot
from tests.unit.support import CONTEXT as CTX

GOLDEN = "ami-0123456789abcdef0"


def template(*versions: TemplateVersion) -> LaunchTemplateSnapshot:
    ref = ResourceRef(LAUNCH_TEMPLATE, "lt-0abcdef1234567890", ACCOUNT, REGION)
    return LaunchTemplateSnapshot(ref, "web-asg", 1, max(v.number for v in versions), versions, {})


def version(number: int = 1, roles: tuple[str, ...] = ("default", "latest"), **changes: object) -> TemplateVersion:
    values: dict[str, object] = {"image_id": GOLDEN, "resolved_image_id": GOLDEN, "ami": ami_snapshot()}
    values.update(changes)
    return TemplateVersion(number, roles, **values)  # type: ignore[arg-type]


def judge(snapshot: LaunchTemplateSnapshot, policy: Policy = Policy()) -> Verdict:
    verdict = registry.get("PG.EC2.2").evaluate(snapshot, policy, CTX)
    assert verdict is not None
    return verdict


def test_a_template_launching_a_trusted_fresh_ami_passes() -> None:
    verdict = judge(template(version()))
    assert verdict.status is Status.PASSED
    assert verdict.evidence["Version.1"] == f"default/latest: {GOLDEN}"
    assert verdict.evidence["Version.1.PG.AMI.1"] == "PASSED"


def test_a_latest_version_on_an_untrusted_ami_fails_even_if_the_default_passes() -> None:
    rogue = ami_snapshot(owner_id=OTHER_ACCOUNT, ref=ami_ref("ami-0fedcba9876543210", OTHER_ACCOUNT))
    verdict = judge(
        template(version(1, ("default",)), version(2, ("latest",), image_id="ami-0fedcba9876543210", ami=rogue))
    )
    assert verdict.status is Status.FAILED
    assert [r.code for r in verdict.reasons] == ["PG.AMI.1:UNTRUSTED_OWNER"]
    assert verdict.reasons[0].description.startswith("version 2 (latest), AMI ami-0fedcba9876543210:")


def test_an_alias_is_judged_by_the_ami_it_resolves_to_now() -> None:
    stale = ami_snapshot(creation_date=T0 - timedelta(days=400))
    verdict = judge(template(version(image_id="resolve:ssm:/golden/latest", ami=stale)))
    assert verdict.status is Status.FAILED
    assert verdict.evidence["Version.1"] == f"default/latest: resolve:ssm:/golden/latest -> {GOLDEN}"
    assert any(r.code.startswith("PG.AMI.5:") for r in verdict.reasons)


def test_an_ami_that_no_longer_exists_fails() -> None:
    verdict = judge(template(version(ami=None)))
    assert (verdict.status, verdict.reasons[0].code) == (Status.FAILED, "AMI_NOT_FOUND")


def test_an_unresolvable_alias_fails() -> None:
    verdict = judge(
        template(
            version(image_id="resolve:ssm:/gone", resolved_image_id=None, ami=None, error="SsmInvalidParameter: x")
        )
    )
    assert (verdict.status, verdict.reasons[0].code) == (Status.FAILED, "ALIAS_UNRESOLVED")


def test_a_version_naming_no_ami_is_not_available() -> None:
    verdict = judge(template(version(image_id=None, resolved_image_id=None, ami=None)))
    assert (verdict.status, verdict.reasons[0].code) == (Status.NOT_AVAILABLE, "NO_IMAGE_ID")

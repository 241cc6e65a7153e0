"""controls/instance.py: PG.EC2.1 judges an instance by the AMI it was launched from."""

from __future__ import annotations

from datetime import timedelta

from provenance_guard.collect.instance import INSTANCE, InstanceSnapshot
from provenance_guard.controls import registry
from provenance_guard.model import ResourceRef, Status, Verdict
from provenance_guard.policy import Policy
from tests.unit.support import ACCOUNT, OTHER_ACCOUNT, REGION, T0, ami_snapshot
from tests.unit.support import CONTEXT as CTX


def instance(ami=None, tags=None, image_id="ami-0123456789abcdef0") -> InstanceSnapshot:
    return InstanceSnapshot(
        ref=ResourceRef(INSTANCE, "i-0123456789abcdef0", ACCOUNT, REGION),
        image_id=image_id,
        state="pending",
        instance_type="t4g.micro",
        launch_time=T0,
        tags=tags or {},
        ami=ami,
    )


def judge(snapshot: InstanceSnapshot, policy: Policy = Policy()) -> Verdict:
    verdict = registry.get("PG.EC2.1").evaluate(snapshot, policy, CTX)
    assert verdict is not None
    return verdict


def test_instance_from_a_trusted_fresh_ami_passes():
    verdict = judge(instance(ami_snapshot()))
    assert verdict.status is Status.PASSED
    assert verdict.evidence["PG.AMI.1"] == "PASSED"
    assert verdict.evidence["LaunchedBy"] == "RunInstances"


def test_instance_from_an_untrusted_ami_fails_with_the_ami_reason():
    verdict = judge(instance(ami_snapshot(owner_id=OTHER_ACCOUNT)))
    assert verdict.status is Status.FAILED
    assert verdict.reasons[0].code == "PG.AMI.1:UNTRUSTED_OWNER"
    assert OTHER_ACCOUNT in verdict.reasons[0].description


def test_instance_from_a_stale_ami_fails():
    verdict = judge(instance(ami_snapshot(creation_date=T0 - timedelta(days=365))))
    assert verdict.status is Status.FAILED
    assert verdict.reasons[0].code == "PG.AMI.5:TOO_OLD"


def test_instance_from_an_unhardened_ami_fails_when_hardening_is_required():
    policy = Policy.from_document({"ami": {"hardening": {"required_tags": {"Hardening": ["CIS"]}}}})
    verdict = judge(instance(ami_snapshot()), policy)
    assert verdict.status is Status.FAILED
    assert verdict.reasons[0].code == "PG.AMI.2:MISSING_HARDENING_TAG"


def test_instance_whose_ami_no_longer_exists_fails_as_unknown_provenance():
    verdict = judge(instance(None))
    assert verdict.status is Status.FAILED
    assert verdict.reasons[0].code == "AMI_NOT_FOUND"


def test_instances_from_auto_scaling_groups_and_launch_templates_are_judged_the_same_way():
    by_asg = judge(instance(ami_snapshot(owner_id=OTHER_ACCOUNT), tags={"aws:autoscaling:groupName": "web"}))
    by_template = judge(instance(ami_snapshot(), tags={"aws:ec2launchtemplate:id": "lt-0abc"}))
    assert by_asg.status is Status.FAILED
    assert by_asg.evidence["LaunchedBy"] == "Auto Scaling group web"
    assert by_template.status is Status.PASSED
    assert by_template.evidence["LaunchedBy"] == "launch template lt-0abc"

"""Instance provenance (CONTROLS.md §1, PG.EC2.1): an instance is only as trustworthy as its AMI."""

from __future__ import annotations

from provenance_guard.collect.instance import INSTANCE, InstanceSnapshot
from provenance_guard.controls.ami import trusted_owner
from provenance_guard.controls.ami_hygiene import freshness, hardening_evidence
from provenance_guard.controls.registry import EvaluationContext, registry
from provenance_guard.model import Reason, Severity, Status, Verdict
from provenance_guard.policy import Policy

AMI_CONTROLS = (("PG.AMI.1", trusted_owner), ("PG.AMI.2", hardening_evidence), ("PG.AMI.5", freshness))


@registry.register(
    id="PG.EC2.1",
    title="EC2 instances should be launched from a trusted, hardened and fresh AMI",
    severity=Severity.HIGH,
    resource_kind=INSTANCE,
    remediation_text=(
        "Replace the instance with one launched from a current golden AMI (update the launch template or "
        "Auto Scaling group and start an instance refresh), then terminate it; an AMI that no longer exists "
        "leaves the instance's provenance unknown."
    ),
    remediation_url="https://docs.aws.amazon.com/autoscaling/ec2/userguide/asg-instance-refresh.html",
    permissions=(
        "ec2:DescribeInstances",
        "ec2:DescribeImages",
        "ec2:DescribeImageAttribute",
        "imagebuilder:GetImage",
    ),
    remediation_by_reason={
        "AMI_NOT_FOUND": (
            "The AMI is gone, so nothing shows what this instance runs: replace it with an instance launched "
            "from a current golden AMI (update the launch template or Auto Scaling group, start an instance "
            "refresh), then terminate it."
        ),
        "PG.AMI.1": (
            "Replace the instance with one launched from an AMI of a trusted owner or approved pipeline (the "
            "AMI's own PG.AMI.1 finding says why it is not): update the launch template or Auto Scaling "
            "group, start an instance refresh, then terminate this instance."
        ),
        "PG.AMI.2": (
            "Replace the instance with one launched from a hardened AMI (the AMI's PG.AMI.2 finding says what "
            "is missing) through the launch template or Auto Scaling group and an instance refresh."
        ),
        "PG.AMI.5": (
            "Replace the instance with one launched from a current golden AMI (the AMI's PG.AMI.5 finding "
            "says why it is stale) through the launch template or Auto Scaling group and an instance refresh."
        ),
    },
    nist=("CM-2", "CM-7(5)", "SR-3", "SR-11"),
    cis=("4.1", "16.7"),
)
def launched_from_hardened_ami(instance: InstanceSnapshot, policy: Policy, ctx: EvaluationContext) -> Verdict:
    """The instance's AMI passes PG.AMI.1 (trusted owner or pipeline), PG.AMI.2 (hardening evidence, when
    configured) and PG.AMI.5 (freshness); an AMI that no longer exists fails: provenance unknown."""
    evidence = {
        "ImageId": instance.image_id,
        "LaunchedBy": instance.launched_by,
        "LaunchTime": instance.launch_time.isoformat() if instance.launch_time else "-",
        "InstanceState": instance.state,
    }
    ami = instance.ami
    if ami is None:
        reason = Reason(
            "AMI_NOT_FOUND", f"AMI {instance.image_id} no longer exists (or is not visible): the provenance is unknown"
        )
        return Verdict.failed("PG.EC2.1", (reason,), evidence)
    evidence["AmiOwner"] = ami.owner_id
    reasons: list[Reason] = []
    for control_id, evaluate in AMI_CONTROLS:
        verdict = evaluate(ami, policy, ctx)
        if verdict is None:
            continue
        evidence[control_id] = verdict.status.value
        if verdict.status is Status.FAILED:
            reasons.extend(
                Reason(f"{control_id}:{r.code}", f"AMI {control_id}: {r.description}") for r in verdict.reasons
            )
    if reasons:
        return Verdict.failed("PG.EC2.1", tuple(reasons), evidence)
    return Verdict.passed("PG.EC2.1", f"AMI {instance.image_id} is trusted, hardened and fresh", evidence)

"""Launch templates (CONTROLS.md §6.1, PG.EC2.2): what Auto Scaling groups and fleets will launch next is
judged like a running instance (PG.EC2.1), by the AMI controls PG.AMI.1, PG.AMI.2 and PG.AMI.5 on the AMI
each of the template's default and latest versions launches now."""

from __future__ import annotations

from provenance_guard.collect.ami import DESCRIBE_IMAGE_ATTRIBUTE, DESCRIBE_IMAGES
from provenance_guard.collect.imagebuilder import GET_IMAGE
from provenance_guard.collect.launch_template import (
    DESCRIBE_LAUNCH_TEMPLATE_VERSIONS,
    DESCRIBE_LAUNCH_TEMPLATES,
    GET_PARAMETERS,
    LAUNCH_TEMPLATE,
    LaunchTemplateSnapshot,
)
from provenance_guard.controls.instance import AMI_CONTROLS
from provenance_guard.controls.registry import EvaluationContext, registry
from provenance_guard.model import Reason, Severity, Status, Verdict
from provenance_guard.policy import Policy


@registry.register(
    id="PG.EC2.2",
    title="EC2 launch templates should launch trusted, hardened, fresh AMIs",
    severity=Severity.HIGH,
    resource_kind=LAUNCH_TEMPLATE,
    remediation_text=(
        "Create a launch template version naming a current golden AMI (or a resolve:ssm: parameter your image "
        "pipeline updates), make it the default (aws ec2 modify-launch-template --default-version), then "
        "start an instance refresh of the Auto Scaling groups using it. Trusted owners: ami.trusted_owners."
    ),
    remediation_url="https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/manage-launch-template-versions.html",
    permissions=(
        DESCRIBE_LAUNCH_TEMPLATES,
        DESCRIBE_LAUNCH_TEMPLATE_VERSIONS,
        GET_PARAMETERS,
        DESCRIBE_IMAGES,
        DESCRIBE_IMAGE_ATTRIBUTE,
        GET_IMAGE,
    ),
    nist=("CM-2", "CM-7(5)", "SR-3", "SR-11"),
    cis=("4.1", "16.7"),
)
def launches_hardened_ami(template: LaunchTemplateSnapshot, policy: Policy, ctx: EvaluationContext) -> Verdict:
    """The AMI the template's default and latest versions launch (an ImageId, or a resolve:ssm: parameter
    resolved now) passes PG.AMI.1 (trusted owner or pipeline), PG.AMI.2 (hardening evidence, when
    configured) and PG.AMI.5 (freshness); an AMI that no longer exists fails. A version that names no AMI
    (the launch supplies one) cannot be judged."""
    evidence = {"LaunchTemplateName": template.name or "-"}
    failed: list[Reason] = []
    unavailable: list[Reason] = []
    for version in template.versions:
        key = f"Version.{version.number}"
        shown = version.image_id or "none"
        if version.parameter:
            shown = f"{version.image_id} -> {version.resolved_image_id or 'unresolved'}"
        evidence[key] = f"{'/'.join(version.roles)}: {shown}"
        if version.image_id is None:
            why = f"{version.label} names no AMI: the launch request supplies one"
            unavailable.append(Reason("NO_IMAGE_ID", why))
            continue
        if version.error is not None:
            why = f"{version.label}: parameter {version.parameter} cannot be resolved ({version.error})"
            failed.append(Reason("ALIAS_UNRESOLVED", why))
            continue
        ami = version.ami
        if ami is None:
            why = f"{version.label}: AMI {version.resolved_image_id} no longer exists (or is not visible)"
            failed.append(Reason("AMI_NOT_FOUND", why))
            continue
        for control_id, evaluate in AMI_CONTROLS:
            verdict = evaluate(ami, policy, ctx)
            if verdict is None:
                continue
            evidence[f"{key}.{control_id}"] = verdict.status.value
            if verdict.status is Status.FAILED:
                failed.extend(
                    Reason(f"{control_id}:{r.code}", f"{version.label}, AMI {ami.ref.name}: {r.description}")
                    for r in verdict.reasons
                )
    if failed:
        return Verdict.failed("PG.EC2.2", tuple(failed), evidence)
    if unavailable:
        return Verdict("PG.EC2.2", Status.NOT_AVAILABLE, tuple(unavailable), evidence)
    return Verdict.passed("PG.EC2.2", "every judged version launches a trusted, hardened, fresh AMI", evidence)

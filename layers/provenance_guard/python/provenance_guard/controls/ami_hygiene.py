"""Hardened-AMI hygiene controls (CONTROLS.md §1): hardening evidence, encryption, freshness, IMDSv2."""

from __future__ import annotations

from datetime import datetime
from fnmatch import fnmatchcase

from provenance_guard.collect.ami import AMI, AmiSnapshot
from provenance_guard.collect.imagebuilder import GET_IMAGE
from provenance_guard.controls.registry import EvaluationContext, registry
from provenance_guard.model import Reason, Severity, Verdict
from provenance_guard.policy import Policy

READ_AMI = ("ec2:DescribeImages",)


@registry.register(
    id="PG.AMI.2",
    title="AMI should carry hardening evidence (a CIS or STIG hardening component, or the required tags)",
    severity=Severity.MEDIUM,
    resource_kind=AMI,
    remediation_text=(
        "Build the image with an EC2 Image Builder recipe that includes a hardening component (for "
        "example the AWS-managed CIS or STIG components), or tag images hardened another way with the "
        "tags listed in ami.hardening.required_tags."
    ),
    remediation_url="https://docs.aws.amazon.com/imagebuilder/latest/userguide/ib-stig.html",
    permissions=(*READ_AMI, GET_IMAGE),
    remediation_by_reason={
        "NO_HARDENING_COMPONENT": (
            "Rebuild the image with an EC2 Image Builder recipe that includes a hardening component matching "
            "ami.hardening.required_components (the component ARNs that count as hardening, such as the "
            "AWS-managed CIS or STIG components), then move launch templates to the new AMI."
        ),
        "MISSING_HARDENING_TAG": (
            "If the image was hardened another way, tag it with every tag of ami.hardening.required_tags (the "
            "tags that record hardening) set to an allowed value: aws ec2 create-tags --resources <ami> "
            "--tags Key=<key>,Value=<value>."
        ),
    },
    nist=("CM-2", "CM-6", "CM-7"),
    cis=("4.1", "16.7"),
)
def hardening_evidence(ami: AmiSnapshot, policy: Policy, ctx: EvaluationContext) -> Verdict | None:
    """The AMI was built by Image Builder from a recipe with a component matching
    ami.hardening.required_components, or carries every tag of ami.hardening.required_tags with an
    allowed value. Not judged when the policy configures neither."""
    hardening = policy.ami.hardening
    if not hardening.required_components and not hardening.required_tags:
        return None
    components = ami.recipe_components or ()
    evidence = {
        "RecipeComponents": ", ".join(components) or ("unreadable" if ami.image_builder_error else "-"),
        "RequiredComponents": ", ".join(hardening.required_components) or "-",
        "RequiredTags": ", ".join(f"{k}={'|'.join(v)}" for k, v in hardening.required_tags.items()) or "-",
        "Tags": ", ".join(f"{k}={v}" for k, v in sorted(ami.tags.items()) if k in hardening.required_tags) or "-",
    }
    matching = [c for c in components if any(fnmatchcase(c, p) for p in hardening.required_components)]
    if matching:
        return Verdict.passed("PG.AMI.2", f"recipe contains hardening component {matching[0]}", evidence)
    if hardening.required_tags and all(ami.tags.get(k) in v for k, v in hardening.required_tags.items()):
        return Verdict.passed("PG.AMI.2", "carries every required hardening tag", evidence)
    reasons = []
    if hardening.required_components:
        if ami.image_builder_error:
            why = f"its Image Builder image could not be read: {ami.image_builder_error}"
        elif ami.recipe_components is None:
            why = "not built by EC2 Image Builder, so no recipe shows a hardening component"
        else:
            why = "its Image Builder recipe has no component matching ami.hardening.required_components"
        reasons.append(Reason("NO_HARDENING_COMPONENT", why))
    for key, allowed in hardening.required_tags.items():
        if ami.tags.get(key) not in allowed:
            seen = ami.tags.get(key)
            reasons.append(
                Reason("MISSING_HARDENING_TAG", f"tag {key}={seen!r} is not one of {', '.join(allowed)}")
                if seen is not None
                else Reason("MISSING_HARDENING_TAG", f"tag {key} is missing")
            )
    return Verdict.failed("PG.AMI.2", tuple(reasons), evidence)


@registry.register(
    id="PG.AMI.4",
    title="AMI snapshots should be encrypted",
    severity=Severity.MEDIUM,
    resource_kind=AMI,
    remediation_text=(
        "Copy the AMI with encryption (aws ec2 copy-image --encrypted --kms-key-id <key>), use the copy, "
        "and deregister the unencrypted AMI; turn on EBS encryption by default in every Region."
    ),
    remediation_url="https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/AMIEncryption.html",
    permissions=READ_AMI,
    related_requirements=("Security Hub CSPM EC2.7",),
    nist=("SC-28", "SC-28(1)"),
    cis=("3.11",),
)
def encrypted_snapshots(ami: AmiSnapshot, policy: Policy, ctx: EvaluationContext) -> Verdict | None:
    """Every EBS block device of the AMI has an encrypted snapshot (when ami.require_encrypted_snapshots)."""
    if not policy.ami.require_encrypted_snapshots:
        return None
    ebs = [d for d in ami.block_devices if d.encrypted is not None]
    unencrypted = [d for d in ebs if not d.encrypted]
    evidence = {
        "EbsDevices": ", ".join(f"{d.device_name}:{d.snapshot_id or '-'}" for d in ebs) or "none",
        "UnencryptedDevices": ", ".join(d.device_name for d in unencrypted) or "none",
    }
    if unencrypted:
        reasons = tuple(
            Reason("UNENCRYPTED_SNAPSHOT", f"{d.device_name} ({d.snapshot_id or 'no snapshot id'}) is not encrypted")
            for d in unencrypted
        )
        return Verdict.failed("PG.AMI.4", reasons, evidence)
    if not ebs:
        return Verdict.passed("PG.AMI.4", "the AMI has no EBS snapshots", evidence)
    return Verdict.passed("PG.AMI.4", f"all {len(ebs)} EBS snapshots are encrypted", evidence)


@registry.register(
    id="PG.AMI.5",
    title="AMI should be fresh: younger than the maximum age, before its deprecation time, and not disabled",
    severity=Severity.MEDIUM,
    resource_kind=AMI,
    remediation_text=(
        "Rebuild the image from the golden pipeline on a schedule instead of patching it; set a deprecation "
        "time on every AMI (aws ec2 enable-image-deprecation --image-id <ami> --deprecate-at <time>) and "
        "move launch templates and Auto Scaling groups to the newest image."
    ),
    remediation_url="https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ami-deprecate.html",
    permissions=READ_AMI,
    remediation_by_reason={
        "TOO_OLD": (
            "Rebuild the image from the golden pipeline instead of patching it, move launch templates and "
            "Auto Scaling groups to the new AMI, then deprecate this one. The oldest an AMI may be is "
            "ami.max_age_days."
        ),
        "NO_DEPRECATION_TIME": (
            "Set a deprecation time so its users know when to move on: aws ec2 enable-image-deprecation "
            "--image-id <ami> --deprecate-at <time> (Image Builder distribution settings can set one on every "
            "new AMI)."
        ),
        "DEPRECATED": (
            "The AMI is past its deprecation time: move launch templates and Auto Scaling groups to its "
            "successor, then disable or deregister it."
        ),
        "DISABLED": (
            "A disabled AMI launches nothing new: move whatever still refers to it to a current golden AMI "
            "and deregister it, or re-enable it (aws ec2 enable-image --image-id <ami>) if it was disabled by "
            "mistake."
        ),
    },
    nist=("CM-2", "SI-2"),
    cis=("4.1", "7.3"),
)
def freshness(ami: AmiSnapshot, policy: Policy, ctx: EvaluationContext) -> Verdict:
    """The AMI is younger than ami.max_age_days, has a deprecation time when
    ami.require_deprecation_time, is not past it, and is not disabled."""
    age_days = _days_between(ami.creation_date, ctx.now)
    # Evidence and reasons name dates, not a day count, so the finding stays unchanged (and is not
    # re-imported) from one day to the next until its status changes.
    evidence = {
        "CreationDate": ami.creation_date.isoformat() if ami.creation_date else "-",
        "MaxAgeDays": str(policy.ami.max_age_days),
        "DeprecationTime": ami.deprecation_time.isoformat() if ami.deprecation_time else "-",
        "State": ami.state,
    }
    reasons = []
    if ami.state == "disabled":
        reasons.append(Reason("DISABLED", "the AMI is disabled"))
    if age_days is None or ami.creation_date is None:
        reasons.append(Reason("UNKNOWN_AGE", "EC2 reports no creation date"))
    elif age_days >= policy.ami.max_age_days:
        created = ami.creation_date.date().isoformat()
        reasons.append(
            Reason("TOO_OLD", f"created {created}, more than ami.max_age_days ({policy.ami.max_age_days}) ago")
        )
    if ami.deprecation_time is None:
        if policy.ami.require_deprecation_time:
            reasons.append(Reason("NO_DEPRECATION_TIME", "no deprecation time is set"))
    elif ami.deprecation_time <= ctx.now:
        reasons.append(Reason("DEPRECATED", f"deprecated since {ami.deprecation_time.isoformat()}"))
    if reasons:
        return Verdict.failed("PG.AMI.5", tuple(reasons), evidence)
    return Verdict.passed("PG.AMI.5", f"younger than {policy.ami.max_age_days} days, not deprecated", evidence)


@registry.register(
    id="PG.AMI.6",
    title="AMI should require IMDSv2",
    severity=Severity.MEDIUM,
    resource_kind=AMI,
    remediation_text=(
        "Register the image with --imds-support v2.0 (or aws ec2 modify-image-attribute --imds-support v2.0) "
        "so every instance launched from it requires session tokens for instance metadata."
    ),
    remediation_url="https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-new-instances.html",
    permissions=READ_AMI,
    related_requirements=("Security Hub CSPM EC2.8",),
    nist=("AC-3", "AC-6", "CM-2", "CM-6"),
    cis=("4.1",),
)
def requires_imdsv2(ami: AmiSnapshot, policy: Policy, ctx: EvaluationContext) -> Verdict | None:
    """The AMI's ImdsSupport is v2.0 (when ami.require_imdsv2)."""
    if not policy.ami.require_imdsv2:
        return None
    evidence = {"ImdsSupport": ami.imds_support or "not set (IMDSv1 allowed)"}
    if ami.imds_support == "v2.0":
        return Verdict.passed("PG.AMI.6", "instances launched from it require IMDSv2", evidence)
    return Verdict.failed(
        "PG.AMI.6", (Reason("IMDSV1_ALLOWED", "ImdsSupport is not v2.0: instances may use IMDSv1"),), evidence
    )


def _days_between(start: datetime | None, end: datetime) -> int | None:
    return None if start is None else (end - start).days

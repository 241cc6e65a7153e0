"""Hardened-AMI controls (CONTROLS.md §1, PG.AMI.*): an `AmiSnapshot` and the policy in, a verdict out."""

from __future__ import annotations

from fnmatch import fnmatchcase

from provenance_guard.collect.ami import AMI, AmiSnapshot, LaunchPermission
from provenance_guard.collect.imagebuilder import GET_IMAGE
from provenance_guard.controls.registry import EvaluationContext, registry
from provenance_guard.model import Reason, Severity, Verdict
from provenance_guard.policy import Policy

READ_AMI = ("ec2:DescribeImages",)
READ_LAUNCH_PERMISSIONS = ("ec2:DescribeImageAttribute",)
READ_IMAGE_BUILDER = (GET_IMAGE,)
OWNER_ALIASES = ("amazon", "aws-marketplace")


@registry.register(
    id="PG.AMI.1",
    title="AMI should come from a trusted owner or an approved Image Builder pipeline",
    severity=Severity.HIGH,
    resource_kind=AMI,
    remediation_text=(
        "Launch compute only from your golden images: rebuild this AMI with an approved EC2 Image Builder "
        "pipeline and deregister it. If its owner account is trustworthy, ask the provenance-guard policy "
        "owners to add it to ami.trusted_owners (the accounts trusted to publish AMIs); if an approved "
        "pipeline built it, add the pipeline's ARN to ami.approved_pipelines."
    ),
    remediation_url="https://docs.aws.amazon.com/imagebuilder/latest/userguide/manage-pipelines.html",
    permissions=READ_AMI + READ_IMAGE_BUILDER,
    nist=("CM-2", "CM-7(5)", "SR-3", "SR-11"),
    cis=("2.5", "4.1", "16.7"),
)
def trusted_owner(ami: AmiSnapshot, policy: Policy, ctx: EvaluationContext) -> Verdict:
    """The AMI's owner is in ami.trusted_owners (self, amazon, aws-marketplace or an account id), or
    the AMI was produced by an EC2 Image Builder pipeline matching ami.approved_pipelines."""
    trusted = policy.ami.trusted_owners
    evidence = {
        "OwnerId": ami.owner_id,
        "OwnerAlias": ami.owner_alias or "-",
        "ImageBuilderPipeline": ami.source_pipeline_arn or "-",
        "ImageBuilderImage": ami.image_builder_image_arn or "-",
        "TrustedOwners": ", ".join(trusted),
    }
    trusted_accounts = {ctx.account if owner == "self" else owner for owner in trusted}
    if ami.owner_id in trusted_accounts:
        return Verdict.passed("PG.AMI.1", f"owner {ami.owner_id} is a trusted account", evidence)
    if ami.owner_alias in OWNER_ALIASES and ami.owner_alias in trusted:
        return Verdict.passed("PG.AMI.1", f"owner alias {ami.owner_alias} is trusted", evidence)
    pipeline = ami.source_pipeline_arn
    if pipeline and any(fnmatchcase(pipeline, pattern) for pattern in policy.ami.approved_pipelines):
        return Verdict.passed("PG.AMI.1", f"built by approved pipeline {pipeline}", evidence)
    why = f"owner {ami.owner_id}" + (f" ({ami.owner_alias})" if ami.owner_alias else "")
    why += " is not in ami.trusted_owners"
    if pipeline:
        why += f" and pipeline {pipeline} is not approved"
    elif ami.image_builder_error:
        why += f" and its Image Builder image could not be read ({ami.image_builder_error})"
    else:
        why += " and no approved pipeline built it"
    return Verdict.failed("PG.AMI.1", (Reason("UNTRUSTED_OWNER", why),), evidence)


@registry.register(
    id="PG.AMI.3",
    title="AMI should not be public and should be shared only with allowed accounts, organizations and OUs",
    severity=Severity.HIGH,
    resource_kind=AMI,
    remediation_text=(
        "Remove the public launch permission (aws ec2 modify-image-attribute --image-id <ami> "
        "--launch-permission 'Remove=[{Group=all}]') and turn on block public access for AMIs; remove "
        "launch permissions for accounts, organizations or OUs not in ami.allowed_share_targets."
    ),
    remediation_url="https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/sharingamis-intro.html",
    permissions=READ_AMI + READ_LAUNCH_PERMISSIONS,
    remediation_by_reason={
        "PUBLIC": (
            "Make the AMI private now: aws ec2 modify-image-attribute --image-id <ami> --launch-permission "
            "'Remove=[{Group=all}]'; then turn on block public access for AMIs in every Region (aws ec2 "
            "enable-image-block-public-access --image-block-public-access-state block-new-sharing)."
        ),
        "UNEXPECTED_SHARE": (
            "Remove the launch permission of each account, organization or OU named in the reasons (aws ec2 "
            "modify-image-attribute --image-id <ami> --launch-permission 'Remove=[{UserId=<account>}]', or "
            "OrganizationArn= / OrganizationalUnitArn=). If the share is intended, ask the provenance-guard "
            "policy owners to add the target to ami.allowed_share_targets (who AMIs may be shared with)."
        ),
        "NOT_OWNER": (
            "Only the owning account can read an AMI's launch permissions: its sharing is judged where "
            "provenance-guard runs in the owner's account."
        ),
    },
    nist=("AC-3", "AC-6", "AC-21"),
    cis=("3.3",),
)
def sharing_restricted(ami: AmiSnapshot, policy: Policy, ctx: EvaluationContext) -> Verdict:
    """The AMI is not public, and each launch permission names an account, organization or OU in
    ami.allowed_share_targets (an OU of an allowed organization counts). A public AMI is CRITICAL."""
    permissions = ami.launch_permissions
    evidence = {
        "Public": str(ami.public).lower(),
        "LaunchPermissions": _describe(permissions) if permissions is not None else "not readable",
        "AllowedShareTargets": ", ".join(policy.ami.allowed_share_targets) or "-",
    }
    public = ami.public or any(p.kind == "group" and p.value == "all" for p in permissions or ())
    if public:
        reason = Reason("PUBLIC", "the AMI is public: any AWS account can launch it")
        return Verdict.failed("PG.AMI.3", (reason,), evidence, Severity.CRITICAL)
    if permissions is None:
        why = f"the AMI is owned by {ami.owner_id}; only its owner can read its launch permissions"
        return Verdict.not_available("PG.AMI.3", "NOT_OWNER", why, evidence)
    unexpected = [p for p in permissions if not is_allowed_share(p, policy.ami.allowed_share_targets)]
    if unexpected:
        reasons = tuple(
            Reason("UNEXPECTED_SHARE", f"shared with {p.kind} {p.value}, which is not an allowed target")
            for p in unexpected
        )
        return Verdict.failed("PG.AMI.3", reasons, evidence)
    shared = f"shared only with allowed targets ({len(permissions)})" if permissions else "not shared"
    return Verdict.passed("PG.AMI.3", shared, evidence)


def is_allowed_share(permission: LaunchPermission, targets: tuple[str, ...]) -> bool:
    if permission.value in targets:
        return True
    if permission.kind == "ou":
        # an OU ARN ...:ou/o-<org>/ou-<id> lies inside the organization ARN ...:organization/o-<org>
        head, _, path = permission.value.partition(":ou/")
        organization = f"{head}:organization/{path.split('/')[0]}"
        return organization in targets
    return False


def _describe(permissions: tuple[LaunchPermission, ...]) -> str:
    return ", ".join(f"{p.kind}:{p.value}" for p in permissions) or "none"

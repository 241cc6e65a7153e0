"""Remediation of AMIs: PG.AMI.3 removes the public and the disallowed launch permissions; PG.AMI.5 sets
a deprecation time on an AMI that has none. Both are reversible (`modify-image-attribute --launch-permission
Add=...`, `disable-image-deprecation`)."""

from __future__ import annotations

from datetime import timedelta

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.ami import AmiSnapshot, LaunchPermission
from provenance_guard.controls.ami import is_allowed_share
from provenance_guard.controls.registry import EvaluationContext
from provenance_guard.model import ResourceRef, Verdict
from provenance_guard.policy import Policy
from provenance_guard.remediation.base import Change, RemediationAction, Write

MODIFY_IMAGE_ATTRIBUTE = "ec2:ModifyImageAttribute"
ENABLE_IMAGE_DEPRECATION = "ec2:EnableImageDeprecation"
IMAGE_ARNS = "arn:{partition}:ec2:{region}::image/*"
LAUNCH_PERMISSION_KEYS = {
    "group": "Group",
    "account": "UserId",
    "organization": "OrganizationArn",
    "ou": "OrganizationalUnitArn",
}


def plan_unshare(ami: AmiSnapshot, verdict: Verdict, policy: Policy, ctx: EvaluationContext) -> Change | None:
    """Every launch permission that makes the AMI public or names a target not in ami.allowed_share_targets."""
    if ami.launch_permissions is None:
        return None  # not the owner: nothing this account may change
    public = [LaunchPermission("group", "all")] if ami.public else []
    remove = list(dict.fromkeys([*public, *(p for p in ami.launch_permissions if _disallowed(p, policy))]))
    if not remove or any(p.kind not in LAUNCH_PERMISSION_KEYS for p in remove):
        return None
    listed = ", ".join(f"{p.kind}:{p.value}" for p in remove)
    kept = [p for p in ami.launch_permissions if p not in remove]
    return Change(
        summary=f"remove launch permissions {listed}",
        before=_permissions(ami.launch_permissions) + (" (public)" if ami.public else ""),
        after=_permissions(tuple(kept)),
        call=f"aws ec2 modify-image-attribute --image-id {ami.ref.name} --launch-permission 'Remove=[{listed}]'",
        parameters={"Remove": [{LAUNCH_PERMISSION_KEYS[p.kind]: p.value} for p in remove]},
    )


def apply_unshare(clients: ClientFactory, ref: ResourceRef, change: Change) -> None:
    clients.client("ec2", ref.region).modify_image_attribute(
        ImageId=ref.name, LaunchPermission={"Remove": list(change.parameters["Remove"])}
    )


def plan_deprecation(ami: AmiSnapshot, verdict: Verdict, policy: Policy, ctx: EvaluationContext) -> Change | None:
    """A deprecation time `ami.max_age_days` after the AMI's creation (or tomorrow, if that has passed):
    only for an AMI that has none; an AMI that is too old or deprecated is rebuilt, not patched."""
    if ami.deprecation_time is not None or ami.creation_date is None or ami.state != "available":
        return None
    due = max(ami.creation_date + timedelta(days=policy.ami.max_age_days), ctx.now + timedelta(days=1))
    at = due.replace(second=0, microsecond=0).isoformat().replace("+00:00", "Z")
    return Change(
        summary=f"set the deprecation time to {at}",
        before="no deprecation time",
        after=f"deprecated from {at}",
        call=f"aws ec2 enable-image-deprecation --image-id {ami.ref.name} --deprecate-at {at}",
        parameters={"DeprecateAt": at},
    )


def apply_deprecation(clients: ClientFactory, ref: ResourceRef, change: Change) -> None:
    clients.client("ec2", ref.region).enable_image_deprecation(
        ImageId=ref.name, DeprecateAt=str(change.parameters["DeprecateAt"])
    )


def _disallowed(permission: LaunchPermission, policy: Policy) -> bool:
    return (permission.kind, permission.value) == ("group", "all") or not is_allowed_share(
        permission, policy.ami.allowed_share_targets
    )


def _permissions(permissions: tuple[LaunchPermission, ...]) -> str:
    return ", ".join(f"{p.kind}:{p.value}" for p in permissions) or "none"


ACTIONS = (
    RemediationAction(
        "PG.AMI.3",
        "Remove public and disallowed launch permissions",
        (Write(MODIFY_IMAGE_ATTRIBUTE, (IMAGE_ARNS,)),),
        plan_unshare,
        apply_unshare,
    ),
    RemediationAction(
        "PG.AMI.5",
        "Set a deprecation time",
        (Write(ENABLE_IMAGE_DEPRECATION, (IMAGE_ARNS,)),),
        plan_deprecation,
        apply_deprecation,
    ),
)

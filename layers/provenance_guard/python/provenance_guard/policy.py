"""The security team's policy (CONTROLS.md §4, §6.3): `policy.yaml` -> a validated, typed `Policy`.

Validation is strict: an unknown key, a value of the wrong type or shape is a `PolicyError` naming the
field by its path (`ami.max_age_days`, `exemptions[2].expires`); `check_document` collects every
problem of a document, warnings included. The layer never parses YAML: the stack stores the validated
document as JSON, so `Policy.from_document` takes plain mappings. Sections live in `policy_ami`,
`policy_container`, `policy_packages` and `policy_notifications`; their checks in `policy_rules`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from provenance_guard.policy_ami import AllowedImages, AmiPolicy, FixSla, Hardening
from provenance_guard.policy_arns import RESOURCE_GLOB, SIGNING_PROFILE
from provenance_guard.policy_container import (
    ContainerPolicy,
    KeylessIdentity,
    Provenance,
    ReplicatedRepositories,
    Signatures,
    TrustedBuilder,
    TrustPolicy,
)
from provenance_guard.policy_fields import (
    InvalidPolicyError,
    Issue,
    PolicyError,
    PolicyProblems,
    PolicyWarning,
    build,
    build_collecting,
    spec,
)
from provenance_guard.policy_notifications import Notifications, SlackChannel, TeamsChannel
from provenance_guard.policy_packages import PackageNamespace, PackagesPolicy
from provenance_guard.policy_rules import ACCOUNT_OR_SELF, NO_CONTEXT, NON_BLANK, CheckContext, ControlIds

__all__ = [
    "AllowedImages",
    "AmiPolicy",
    "CheckContext",
    "ContainerPolicy",
    "Exemption",
    "FixSla",
    "Hardening",
    "InvalidPolicyError",
    "KeylessIdentity",
    "LambdaPolicy",
    "Notifications",
    "PackageNamespace",
    "PackagesPolicy",
    "Policy",
    "PolicyError",
    "PolicyProblems",
    "PolicyWarning",
    "Provenance",
    "RemediationMode",
    "ReplicatedRepositories",
    "Signatures",
    "SlackChannel",
    "TeamsChannel",
    "TrustPolicy",
    "TrustedBuilder",
    "check_document",
]


@dataclass(frozen=True)
class LambdaPolicy:
    trusted_signing_profiles: tuple[str, ...] = field(
        default=(),
        metadata=spec(
            "AWS Signer signing-profile ARNs (a profile trusts each of its versions) or profile version ARNs",
            rule=SIGNING_PROFILE,
        ),
    )
    trusted_layer_accounts: tuple[str, ...] = field(
        default=("self",),
        metadata=spec("accounts whose layers may be used: account ids or self", rule=ACCOUNT_OR_SELF),
    )
    require_signed_layers: bool = field(default=False, metadata=spec("layers must be signed by a trusted profile"))
    runtime_deprecation_warning_days: int = field(
        default=60,
        metadata=spec("fail this many days before a runtime's deprecation", minimum=0, unit="days"),
    )


def _expired(expires: date, context: CheckContext) -> str | None:
    if context.today is not None and expires < context.today:
        return f"expired on {expires.isoformat()}: it no longer applies and its results count again; renew or remove it"
    return None


@dataclass(frozen=True)
class Exemption:
    """Marks matching FAILED results as exempted (still visible, with reason and expiry)."""

    reason: str = field(metadata=spec("why, and the ticket that tracks the fix", rule=NON_BLANK))
    expires: date = field(metadata=spec("the last day it applies (YYYY-MM-DD)", warn=_expired))
    controls: tuple[str, ...] = field(
        default=("*",), metadata=spec("control ids or patterns (PG.AMI.*)", rule=ControlIds(globs=True))
    )
    resources: tuple[str, ...] = field(
        default=(), metadata=spec("resource ARN globs (* for every resource)", rule=RESOURCE_GLOB)
    )
    tags: Mapping[str, tuple[str, ...]] = field(
        default_factory=dict, metadata=spec("tag key -> values: resources carrying all of them")
    )

    def policy_issues(self, context: CheckContext) -> Iterator[Issue]:
        if not self.resources and not self.tags:
            yield Issue("", "names neither resources nor tags, so it exempts nothing (resources: ['*'] for all)", True)


RemediationMode = Literal["off", "on-demand", "automatic"]


@dataclass(frozen=True)
class Policy:
    """The whole policy. Every section has the defaults CONTROLS.md §4 shows."""

    version: Literal[1] = field(default=1, metadata=spec("the policy format's version"))
    ami: AmiPolicy = field(default_factory=AmiPolicy)
    container: ContainerPolicy = field(default_factory=ContainerPolicy)
    lambda_: LambdaPolicy = field(default_factory=LambdaPolicy)
    packages: PackagesPolicy = field(default_factory=PackagesPolicy)
    exemptions: tuple[Exemption, ...] = field(
        default=(), metadata=spec("FAILED results shown as exempted, with reason and expiry")
    )
    remediation: Mapping[str, RemediationMode] = field(
        default_factory=dict,
        metadata=spec("control id -> off (default) | on-demand | automatic", keys=ControlIds()),
    )
    notifications: Notifications = field(default_factory=Notifications)

    @classmethod
    def from_document(cls, document: object, context: CheckContext = NO_CONTEXT) -> Policy:
        """Validate a parsed policy document (the YAML file's mapping). Raises `PolicyError` (an
        `InvalidPolicyError` naming the first error and holding them all)."""
        return build(cls, document, "", context)

    def remediation_mode(self, control_id: str) -> RemediationMode:
        return self.remediation.get(control_id, "off")

    def policy_issues(self, context: CheckContext) -> Iterator[Issue]:
        if not self.notifications.has_recipients:
            yield Issue(
                "notifications",
                "no e-mail address and no chat channel: no one will be notified of new failures or alarms",
                True,
            )


def check_document(document: object, context: CheckContext = NO_CONTEXT) -> tuple[Policy | None, PolicyProblems]:
    """Every problem of a policy document: (the policy, or None when there are errors; the problems)."""
    return build_collecting(Policy, document, "", context)

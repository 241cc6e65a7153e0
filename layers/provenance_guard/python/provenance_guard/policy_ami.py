"""The `ami` section of the policy (CONTROLS.md §4, §6.3): which AMIs are trusted, hardened and fresh."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from provenance_guard.model import Severity
from provenance_guard.policy_arns import ACCOUNT_OR_ORGANIZATION, IMAGE_COMPONENT, IMAGE_PIPELINE
from provenance_guard.policy_fields import spec
from provenance_guard.policy_rules import OWNER, Pattern

WATERMARK_KEY = Pattern(
    r"^[0-9]{12}:[A-Za-z0-9()\[\] ./'@_-]{3,128}$",
    "a watermark key, <12-digit account id>:<name of 3 to 128 characters>",
)


@dataclass(frozen=True)
class Hardening:
    """Evidence that an AMI is hardened (PG.AMI.2); not judged when neither is configured."""

    required_components: tuple[str, ...] = field(
        default=(),
        metadata=spec(
            "Image Builder component ARN patterns (CIS / STIG, * wildcards): the AMI's recipe contains one",
            rule=IMAGE_COMPONENT,
        ),
    )
    required_tags: Mapping[str, tuple[str, ...]] = field(
        default_factory=dict,
        metadata=spec("tag key -> allowed values: the AMI carries every key with an allowed value"),
    )


@dataclass(frozen=True)
class FixSla:
    """How long a fix may stay unapplied (PG.AMI.8)."""

    min_severity: Severity = field(
        default=Severity.HIGH, metadata=spec("findings at or above this severity are held to the SLA")
    )
    days: int = field(
        default=30,
        metadata=spec("days a fix may have been available before the AMI fails", minimum=0, unit="days"),
    )


@dataclass(frozen=True)
class AllowedImages:
    """EC2 Allowed AMIs, the account setting (PG.EC2.3)."""

    accept_audit_mode: bool = field(
        default=False, metadata=spec("`audit-mode` passes too (it only logs what `enabled` would refuse)")
    )


@dataclass(frozen=True)
class AmiPolicy:
    trusted_owners: tuple[str, ...] = field(
        default=("self", "amazon"),
        metadata=spec("AMI owners that are trusted: 12-digit account ids, self, amazon, aws-marketplace", rule=OWNER),
    )
    approved_pipelines: tuple[str, ...] = field(
        default=(),
        metadata=spec(
            "Image Builder pipeline ARN patterns (* wildcards) whose AMIs are trusted wherever they are owned",
            rule=IMAGE_PIPELINE,
        ),
    )
    hardening: Hardening = field(default_factory=Hardening)
    allowed_share_targets: tuple[str, ...] = field(
        default=(),
        metadata=spec(
            "accounts, organization ARNs and OU ARNs AMIs may be shared with (public never)",
            rule=ACCOUNT_OR_ORGANIZATION,
        ),
    )
    max_age_days: int = field(default=90, metadata=spec("oldest AMI allowed", minimum=1, unit="days"))
    require_deprecation_time: bool = field(default=True, metadata=spec("an AMI must have a deprecation time"))
    require_encrypted_snapshots: bool = field(default=True, metadata=spec("every EBS snapshot must be encrypted"))
    require_imdsv2: bool = field(default=True, metadata=spec("ImdsSupport must be v2.0 (and account defaults)"))
    trusted_watermarks: tuple[str, ...] = field(
        default=(),
        metadata=spec(
            "EC2 AMI watermark keys (<account>:<name>) that prove descent from a trusted image (PG.AMI.1)",
            rule=WATERMARK_KEY,
        ),
    )
    trusted_base_owners: tuple[str, ...] = field(
        default=("amazon", "self"),
        metadata=spec(
            "owners every ancestor of an AMI must have (PG.AMI.7): account ids, self, amazon, aws-marketplace",
            rule=OWNER,
        ),
    )
    max_scan_age_days: int = field(
        default=30, metadata=spec("oldest vulnerability scan allowed (PG.AMI.8)", minimum=1, unit="days")
    )
    fix_sla: FixSla = field(default_factory=FixSla)
    allowed_images: AllowedImages = field(default_factory=AllowedImages)

"""Every control module, imported explicitly so the registry is complete once this package loads."""

from datetime import UTC, date, datetime

from provenance_guard.controls import (  # noqa: F401 (imported to register their controls)
    ami,
    ami_hygiene,
    ecr_image,
    ecr_repository,
    ecr_scan,
    ecr_signature,
    ecs,
    instance,
    lambda_image,
    lambda_runtime,
    lambda_signing,
    launch_template,
    packages,
    packages_access,
)
from provenance_guard.controls.registry import Control, EvaluationContext, registry
from provenance_guard.policy_rules import CheckContext

__all__ = ["Control", "EvaluationContext", "full_context", "registry"]


def full_context(today: date | None = None) -> CheckContext:
    """The context of a full policy check: the control registry of this version, and today (UTC by default)."""
    return CheckContext(frozenset(c.id for c in registry), today or datetime.now(UTC).date())

"""What a trigger asks the pipeline to do: evaluate, archive or expand one resource."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from provenance_guard.model import Reason, ResourceRef


class EventError(ValueError):
    """An event or message cannot be used (malformed, or of no known kind): the message says why. A
    retry cannot fix it, so it is logged with the reason and dropped, never retried (a permanent
    failure in `provenance_guard.failures`)."""


class Action(StrEnum):
    EVALUATE = "evaluate"
    ARCHIVE = "archive"
    EXPAND = "expand"
    """Resolve into other work first (an Image Builder image -> the AMIs it distributed)."""
    SWEEP = "sweep"
    """Re-check the whole inventory of the account and Region the resource names."""
    REMEDIATE = "remediate"
    """Apply the remediation action of the one control in `controls`, if the resource still fails it
    for `reasons` (`provenance_guard.remediation`)."""


@dataclass(frozen=True)
class Work:
    action: Action
    resource: ResourceRef
    controls: frozenset[str] | None = None
    """Only these controls (None = every control for the resource kind)."""
    reasons: tuple[Reason, ...] | None = None
    """For REMEDIATE: the reasons the finding failed for when remediation was asked (None: any)."""
    listed: Mapping[str, Any] | None = field(default=None, compare=False)
    """What the sweep's list call returned for the resource (a sweep page carries it): its collector
    reads it instead of reading the resource again. None (an event): read fresh."""

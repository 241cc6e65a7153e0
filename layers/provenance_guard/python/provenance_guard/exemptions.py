"""Which policy exemption, if any, covers a FAILED result (CONTROLS.md §4 `exemptions`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from fnmatch import fnmatchcase

from provenance_guard.findings import ExemptionApplied
from provenance_guard.policy import Exemption


def find_exemption(
    exemptions: tuple[Exemption, ...],
    control_id: str,
    resource_arn: str,
    tags: Mapping[str, str],
    today: date,
) -> ExemptionApplied | None:
    """The first unexpired exemption matching the control and the resource (by ARN glob or tags).

    An exemption that names neither resources nor tags matches no resource: a blanket waiver has to
    be written as `resources: ["*"]`, on purpose.
    """
    for exemption in exemptions:
        if exemption.expires < today:
            continue
        if not any(fnmatchcase(control_id, pattern) for pattern in exemption.controls):
            continue
        by_arn = any(fnmatchcase(resource_arn, pattern) for pattern in exemption.resources)
        by_tags = bool(exemption.tags) and all(tags.get(k) in allowed for k, allowed in exemption.tags.items())
        if by_arn or by_tags:
            return ExemptionApplied(exemption.reason, exemption.expires)
    return None

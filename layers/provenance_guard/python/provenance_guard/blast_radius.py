"""Blast radius (CONTROLS.md §6.1): when an artifact's verdict changes, the compute that uses it is judged
again, through the recheck path (SQS), never in the invocation that saw the change.

A change is a finding the pipeline just imported that is new, or whose status, severity or record state
differs from the last one (`RunReport.changed`), of a control the users depend on (`Usage.controls`:
PG.ECR.3 and PG.ECR.5 for an image digest, PG.AMI.1, 2 and 5 for an AMI), or any archival of the artifact.
Its users come from the run's own lookup (the "in use by" evidence, read once per run). They are sent
back to the function's own queue as "Recheck" pages of `PAGE_SIZE` names, at most `MAX_RECHECKS`
resources per invocation (the rest are logged with their count; the daily sweep judges them). Users are
never artifacts themselves, so a recheck's results fan out no further.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from provenance_guard.collect.base import Collection, Usage
from provenance_guard.findings import Finding
from provenance_guard.model import ResourceRef
from provenance_guard.recheck import messages
from provenance_guard.sweep import send_pages

logger = logging.getLogger(__name__)

MAX_RECHECKS = 500


@dataclass(frozen=True)
class Fanout:
    users: tuple[ResourceRef, ...]
    """Who is re-judged, at most `MAX_RECHECKS`, in the order found."""
    skipped: int = 0
    """Users found beyond the bound."""
    incomplete: tuple[ResourceRef, ...] = ()
    """Artifacts whose users could not all be found (a finder stopped at its bound or could not read)."""


def affected(changed: Sequence[Finding], collection: Collection, usage: Sequence[Usage]) -> Fanout:
    """The users of the artifacts whose changed findings matter to them."""
    found: dict[ResourceRef, None] = {}
    incomplete: dict[ResourceRef, None] = {}
    for artifact in dict.fromkeys(f.resource for f in changed if _matters(f, usage)):
        users = collection.users(artifact)
        if users is None:
            continue
        if not users.complete:
            incomplete[artifact] = None
        wanted = {kind for u in usage if u.artifact is artifact.kind for kind in u.finds}
        found.update((ref, None) for ref in users.refs if ref.kind in wanted)
    everyone = list(found)
    return Fanout(tuple(everyone[:MAX_RECHECKS]), max(0, len(everyone) - MAX_RECHECKS), tuple(incomplete))


def _matters(finding: Finding, usage: Sequence[Usage]) -> bool:
    return any(
        u.artifact is finding.resource.kind and (not finding.active or finding.control_id in u.controls) for u in usage
    )


def schedule(sqs: object, queue_url: str, fanout: Fanout) -> int:
    """Send the rechecks, once and at once (no delay: the artifact's new verdict is already recorded);
    returns how many messages were sent."""
    if fanout.skipped:
        logger.warning("blast radius bounded: %d more resources are left to the daily sweep", fanout.skipped)
    return send_pages(sqs, queue_url, messages(fanout.users)) if fanout.users else 0

"""Re-evaluating provisional results: a verdict that is expected to change without an event announcing
it (ECR managed signing still in progress when the image's push is judged) is judged again a little
later, so it does not wait for the daily sweep.

The event-driven function sends the resources back to its own queue as "Recheck" messages (the
sweep's pages under another detail type), delayed by each of `DELAYS_SECONDS`. A Recheck's
own results never schedule another, so the work is bounded: at most two extra evaluations per event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from provenance_guard.model import ResourceKind, ResourceRef
from provenance_guard.sweep import PAGE_SIZE, PAGE_SOURCE, SweepScope, page, send_pages
from provenance_guard.work import Action

DETAIL_TYPE = "Recheck"
DELAYS_SECONDS = (120, 900)
"""Two minutes (managed signing usually completes within it), then SQS's longest delay."""


def is_recheck(event: Mapping[str, Any]) -> bool:
    return (event.get("source"), event.get("detail-type")) == (PAGE_SOURCE[0], DETAIL_TYPE)


def messages(refs: Sequence[ResourceRef]) -> list[dict[str, Any]]:
    """Recheck messages naming `refs`: sweep pages of another detail type, one per account, Region and
    kind (at most PAGE_SIZE names each)."""
    groups: dict[tuple[SweepScope, ResourceKind], list[str]] = {}
    for ref in refs:
        groups.setdefault((SweepScope(ref.account, ref.region, ref.partition), ref.kind), []).append(ref.name)
    return [
        page(scope, kind, Action.EVALUATE, names[start : start + PAGE_SIZE], DETAIL_TYPE)
        for (scope, kind), names in groups.items()
        for start in range(0, len(names), PAGE_SIZE)
    ]


def schedule(sqs: Any, queue_url: str, refs: Sequence[ResourceRef]) -> int:
    """Send the rechecks of `refs` to `queue_url`, once per delay; returns how many messages were sent
    (`SweepQueueError` when SQS refuses some)."""
    return sum(send_pages(sqs, queue_url, messages(refs), delay) for delay in DELAYS_SECONDS)

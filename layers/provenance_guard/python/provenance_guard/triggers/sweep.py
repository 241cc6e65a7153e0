"""What starts or continues a sweep, and rechecks (see `provenance_guard.sweep`, `provenance_guard.recheck`):

- the schedule (EventBridge `Scheduled Event`) and an on-demand `Sweep Requested` start a sweep of the
  event's account and Region;
- `Sweep Page` (the sweep's own fan-out) and `Recheck` (a function re-evaluating provisional results)
  are messages the product sends to a function's own queue, naming resources to evaluate or archive.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provenance_guard.collect.account import ACCOUNT
from provenance_guard.recheck import DETAIL_TYPE as RECHECK
from provenance_guard.sweep import PAGE_SOURCE, named_work
from provenance_guard.triggers.base import Delivery, Envelope, Trigger
from provenance_guard.work import Action, Work

FUNCTION = "sweep"
SCHEDULED_EVENT = ("aws.events", "Scheduled Event")


def sweep_request(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """A sweep of the event's account and Region."""
    return [Work(Action.SWEEP, envelope.ref(ACCOUNT, envelope.account))]


def page_of_work(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """What a sweep page or a recheck names."""
    return named_work(detail, envelope.account, envelope.region)


TRIGGERS = (
    Trigger(
        "SweepRequested",
        "An on-demand sweep: PutEvents source provenance-guard, detail-type Sweep Requested",
        FUNCTION,
        source=PAGE_SOURCE[0],
        detail_type="Sweep Requested",
        parse=sweep_request,
    ),
    Trigger(
        "Schedule",
        "Scheduled sweep",
        FUNCTION,
        source=SCHEDULED_EVENT[0],
        detail_type=SCHEDULED_EVENT[1],
        parse=sweep_request,
        delivery=Delivery.SCHEDULE,
    ),
    Trigger(
        "SweepPage",
        "A page of the sweep's fan-out, sent by the sweep to its own queue",
        FUNCTION,
        source=PAGE_SOURCE[0],
        detail_type=PAGE_SOURCE[1],
        parse=page_of_work,
        delivery=Delivery.QUEUE,
    ),
    Trigger(
        "Recheck",
        "Resources judged again, sent by a function to its own queue: provisional results a little later "
        "(image_push), the users of an artifact whose verdict changed at once (blast radius)",
        "image_push",
        source=PAGE_SOURCE[0],
        detail_type=RECHECK,
        parse=page_of_work,
        delivery=Delivery.QUEUE,
    ),
)

"""Every trigger (one line per family module), and the dispatch of an event to its trigger's parser."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provenance_guard.model import partition_for_region
from provenance_guard.triggers import ami, ecr, ecs, instance, lambda_functions, launch_template, scans, sweep
from provenance_guard.triggers.base import API_VERSION_SUFFIX, CLOUDTRAIL, Envelope, Parser, Trigger
from provenance_guard.work import EventError, Work

TRIGGERS: tuple[Trigger, ...] = (
    *ami.TRIGGERS,
    *instance.TRIGGERS,
    *ecr.TRIGGERS,
    *scans.TRIGGERS,
    *lambda_functions.TRIGGERS,
    *ecs.TRIGGERS,
    *launch_template.TRIGGERS,
    *sweep.TRIGGERS,
)


def _dispatch() -> tuple[dict[tuple[str, str], Parser], dict[tuple[str, str], Parser]]:
    events: dict[tuple[str, str], Parser] = {}
    calls: dict[tuple[str, str], Parser] = {}
    for trigger in TRIGGERS:
        if trigger.calls:
            for name, parser in trigger.calls.items():
                if (trigger.event_source, name) in calls:
                    raise ValueError(f"two triggers parse CloudTrail {name} of {trigger.event_source}")
                calls[(trigger.event_source, name)] = parser
        else:
            if (trigger.source, trigger.detail_type) in events:
                raise ValueError(f"two triggers parse {trigger.source} / {trigger.detail_type}")
            assert trigger.parse is not None
            events[(trigger.source, trigger.detail_type)] = trigger.parse
    return events, calls


_EVENTS, _CALLS = _dispatch()


def for_function(function: str) -> list[Trigger]:
    """The triggers that deliver to `function`, in declaration order."""
    return [trigger for trigger in TRIGGERS if trigger.function == function]


def parse_event(event: object, function: str | None = None) -> list[Work]:
    """The work one EventBridge event (or one of the product's own messages) asks for; with `function`,
    only an event of one of that function's triggers is accepted. Raises `EventError` when it cannot be
    used."""
    if not isinstance(event, Mapping):
        raise EventError(f"an EventBridge event is a JSON object, got {type(event).__name__}")
    if function is not None and not any(_delivers(t, event) for t in for_function(function)):
        raise EventError(f"not a {function} event: {event.get('source')} / {event.get('detail-type')}")
    envelope = _envelope(event)
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        raise EventError("the event has no 'detail' object")
    parser: Parser | None
    if envelope.detail_type == CLOUDTRAIL:
        if detail.get("errorCode"):
            return []  # a failed API call changed nothing
        event_name = API_VERSION_SUFFIX.sub("", str(detail.get("eventName")))
        parser = _CALLS.get((str(detail.get("eventSource")), event_name))
    else:
        parser = _EVENTS.get((envelope.source, envelope.detail_type))
    if parser is None:
        raise EventError(f"no provenance-guard trigger handles {envelope.source} / {envelope.detail_type}")
    return parser(detail, envelope)


def _delivers(trigger: Trigger, event: Mapping[str, Any]) -> bool:
    return (event.get("source"), event.get("detail-type")) == (trigger.source, trigger.detail_type)


def _envelope(event: Mapping[str, Any]) -> Envelope:
    try:
        source, detail_type = str(event["source"]), str(event["detail-type"])
        account, region = str(event["account"]), str(event["region"])
    except KeyError as missing:
        raise EventError(f"the event has no {missing.args[0]!r} field") from None
    if not account.isdigit() or len(account) != 12:
        raise EventError(f"the event's account {account!r} is not a 12-digit account id")
    resources = event.get("resources") or []
    if not isinstance(resources, list):
        raise EventError(f"the event's resources is a {type(resources).__name__}, not a list")
    return Envelope(source, detail_type, account, region, partition_for_region(region), tuple(map(str, resources)))

"""Every trigger (one line per family module), and the dispatch of an event to its trigger's parser.

Before any parser runs, the envelope is checked: `source` and `detail-type` strings, `account` a 12-digit
account id, `region` a Region of a known partition (`provenance_guard.regions`), of the function's own
partition when it is given, `resources` a list of strings. After it, every resource the work names is
checked the same way (a Lambda function ARN or a sweep page names its own account, Region and
partition). Whatever fails is an `EventError`: rejected, never retried.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provenance_guard.regions import check_scope
from provenance_guard.triggers import (
    ami,
    codeartifact,
    ecr,
    ecs,
    instance,
    lambda_functions,
    launch_template,
    remediation,
    scans,
    sweep,
)
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
    *codeartifact.TRIGGERS,
    *sweep.TRIGGERS,
    *remediation.TRIGGERS,
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


def parse_event(event: object, function: str | None = None, partition: str | None = None) -> list[Work]:
    """The work one EventBridge event (or one of the product's own messages) asks for; with `function`,
    only an event of one of that function's triggers is accepted; with `partition` (the function's own),
    only resources in that partition's Regions. Raises `EventError` when it cannot be used."""
    if not isinstance(event, Mapping):
        raise EventError(f"an EventBridge event is a JSON object, got {type(event).__name__}")
    if function is not None and not any(_delivers(t, event) for t in for_function(function)):
        raise EventError(f"not a {function} event: {event.get('source')} / {event.get('detail-type')}")
    envelope = _envelope(event, partition)
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
    work = parser(detail, envelope)
    for item in work:
        ref = item.resource
        whose = f"the {ref.kind.value} {ref.name[:100]!r}'s"
        check_scope(ref.account, ref.region, ref.partition, whose=whose)
        if partition is not None and ref.partition != partition:
            raise EventError(f"{whose} partition {ref.partition} is not this function's ({partition})")
    return work


def _delivers(trigger: Trigger, event: Mapping[str, Any]) -> bool:
    return (event.get("source"), event.get("detail-type")) == (trigger.source, trigger.detail_type)


def _envelope(event: Mapping[str, Any], own_partition: str | None) -> Envelope:
    for name in ("source", "detail-type", "account", "region"):
        if name not in event:
            raise EventError(f"the event has no {name!r} field")
    source, detail_type = event["source"], event["detail-type"]
    if not isinstance(source, str) or not isinstance(detail_type, str):
        raise EventError("the event's source and detail-type are not strings")
    account, region, partition = check_scope(event["account"], event["region"])
    if own_partition is not None and partition != own_partition:
        raise EventError(f"the event's region {region} is in partition {partition}, not in this function's")
    resources = event.get("resources") or []
    if not isinstance(resources, list) or not all(isinstance(r, str) for r in resources):
        raise EventError("the event's resources is not a list of ARNs")
    return Envelope(source, detail_type, account, region, partition, tuple(resources))

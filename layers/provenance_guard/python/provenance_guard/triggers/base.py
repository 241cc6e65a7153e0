"""A trigger: which events reach which function (its EventBridge pattern) and the work each asks for
(its parser), declared once. The stack builds its rules from the declarations, the event layer
dispatches from them, and the infrastructure tests take their expected routes from them.

A parser raises `EventError` with a reason for anything it cannot use: the caller logs and drops it (a
retry cannot make a malformed event readable). Events that are valid but ask for nothing (a failed API
call, an AMI entering `failed`) yield no work.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from provenance_guard.model import ResourceKind, ResourceRef
from provenance_guard.work import EventError, Work

CLOUDTRAIL = "AWS API Call via CloudTrail"
API_VERSION_SUFFIX = re.compile(r"20\d{6}(v\d+)?$")
"""Lambda's CloudTrail event names carry the API version: UpdateFunctionCode20150331v2."""


@dataclass(frozen=True)
class Envelope:
    source: str
    detail_type: str
    account: str
    region: str
    partition: str
    resources: tuple[str, ...] = ()

    def ref(self, kind: ResourceKind, name: str) -> ResourceRef:
        return ResourceRef(kind, name, self.account, self.region, self.partition)


Parser = Callable[[Mapping[str, Any], Envelope], list[Work]]
"""(detail, envelope) -> the work the event asks for."""


class Delivery(StrEnum):
    RULE = "rule"
    """An EventBridge rule with the trigger's pattern delivers it to the function's queue."""
    SCHEDULE = "schedule"
    """The stack's schedule rule delivers it (EventBridge's `Scheduled Event`)."""
    QUEUE = "queue"
    """The product itself sends it to the function's queue (sweep pages, rechecks)."""


@dataclass(frozen=True)
class Trigger:
    """One EventBridge rule and how its events are parsed.

    A CloudTrail trigger (`calls`) matches the API calls of one service by event name, each with its own
    parser; `versioned` names carry API versions (Lambda's UpdateFunctionCode20150331v2) and are matched
    bare and by the `<name>20` prefix. Any other trigger matches `source` and `detail_type`, and
    `detail` narrows the pattern."""

    name: str
    """The rule's name in the stack (a CDK construct id)."""
    description: str
    function: str
    """The function whose queue the rule targets (`stacks.functions`, `functions/<name>/`)."""
    source: str
    detail_type: str = CLOUDTRAIL
    parse: Parser | None = None
    calls: Mapping[str, Parser] = field(default_factory=dict)
    detail: Mapping[str, Any] | None = None
    versioned: bool = False
    delivery: Delivery = Delivery.RULE

    def __post_init__(self) -> None:
        if (self.parse is None) == (not self.calls):
            raise ValueError(f"trigger {self.name}: give either parse or calls")
        if self.calls and self.detail_type != CLOUDTRAIL:
            raise ValueError(f"trigger {self.name}: calls are CloudTrail API calls")

    @property
    def event_source(self) -> str:
        """CloudTrail's `eventSource` of the service (`aws.ec2` -> `ec2.amazonaws.com`)."""
        return f"{self.source.removeprefix('aws.')}.amazonaws.com"

    @property
    def pattern(self) -> dict[str, Any]:
        """The EventBridge pattern. It always names the `source`, so it never matches Security Hub's
        "Findings - Imported" events for the findings this service writes."""
        pattern: dict[str, Any] = {"source": [self.source], "detail-type": [self.detail_type]}
        if self.calls:
            names: list[Any] = []
            for name in self.calls:
                names += [name, {"prefix": f"{name}20"}] if self.versioned else [name]
            pattern["detail"] = {"eventSource": [self.event_source], "eventName": names}
        elif self.detail is not None:
            pattern["detail"] = dict(self.detail)
        return pattern


def required(detail: Mapping[str, Any], *path: str) -> str:
    """The non-empty string at `path`; `EventError` naming the path otherwise."""
    value: Any = detail
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            raise EventError(f"detail.{'.'.join(path)} is missing")
        value = value[key]
    if not isinstance(value, str) or not value:
        raise EventError(f"detail.{'.'.join(path)} is not a non-empty string")
    return value


def nested(detail: Mapping[str, Any], *path: str) -> Any:
    """The value at `path`, or None if absent; `EventError` if something on the way is not an object."""
    value: Any = detail
    for depth, key in enumerate(path):
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise EventError(f"detail.{'.'.join(path[:depth])} is a {type(value).__name__}, not an object")
        value = value.get(key)
    return value

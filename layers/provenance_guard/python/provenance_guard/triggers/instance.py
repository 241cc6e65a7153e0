"""Instance events -> work (CONTROLS.md §2): launches are judged by their AMI, terminations archived."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provenance_guard.collect.instance import INSTANCE
from provenance_guard.triggers.base import Envelope, Trigger, nested, required
from provenance_guard.work import Action, EventError, Work

FUNCTION = "instance_events"


def instance_state_change(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    ref = envelope.ref(INSTANCE, required(detail, "instance-id"))
    state = required(detail, "state")
    if state == "pending":
        return [Work(Action.EVALUATE, ref)]
    if state == "terminated":
        return [Work(Action.ARCHIVE, ref)]
    return []


def run_instances_call(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    items = nested(detail, "responseElements", "instancesSet", "items")
    if not isinstance(items, list) or not items:
        raise EventError("detail.responseElements.instancesSet.items is missing or empty")
    return [Work(Action.EVALUATE, envelope.ref(INSTANCE, required(item, "instanceId"))) for item in items]


TRIGGERS = (
    Trigger(
        "InstanceStateChange",
        "EC2 Instance State-change Notification: pending -> evaluate; terminated -> archive",
        FUNCTION,
        source="aws.ec2",
        detail_type="EC2 Instance State-change Notification",
        detail={"state": ["pending", "terminated"]},
        parse=instance_state_change,
    ),
    Trigger(
        "RunInstancesCalls",
        "CloudTrail RunInstances -> evaluate the instances",
        FUNCTION,
        source="aws.ec2",
        calls={"RunInstances": run_instances_call},
    ),
)

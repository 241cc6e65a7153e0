"""Each handler's events, as AWS (or the product itself) delivers them: the documented samples of
tests/fixtures/events routed by the triggers' own EventBridge patterns, and the product's own messages
(Sweep Page, Recheck, the schedule's Scheduled Event, Sweep Requested), pointed at moto's account and
Region and at the resources a test made."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from provenance_guard import recheck
from provenance_guard.collect.ami import AMI
from provenance_guard.sweep import SweepScope, page
from provenance_guard.triggers import TRIGGERS
from provenance_guard.triggers.base import Delivery
from provenance_guard.work import Action
from provenance_guard_cli.emulator.event_patterns import matches
from stacks.triggers import FUNCTIONS
from tests.unit.support import ACCOUNT, EVENTS, REGION, SCHEDULED_EVENT, load_event

HANDLERS = tuple(spec.name for spec in FUNCTIONS)
SWEEP = "sweep"


@cache
def routed_samples() -> Mapping[str, tuple[str, ...]]:
    """Function -> the fixture files (documented samples) one of its rules delivers to it."""
    routed: dict[str, list[str]] = {name: [] for name in HANDLERS}
    for path in sorted(EVENTS.glob("*.json")):
        event = json.loads(path.read_text())
        for trigger in TRIGGERS:
            if trigger.function in routed and trigger.delivery is Delivery.RULE and matches(trigger.pattern, event):
                routed[trigger.function].append(path.name)
    return {name: tuple(dict.fromkeys(files)) for name, files in routed.items()}


@dataclass(frozen=True)
class Resources:
    """What the samples are pointed at (made in moto by the test)."""

    image_id: str
    instance_id: str
    repository: str


def pointed(name: str, resources: Resources) -> dict[str, Any]:
    """The documented sample `name` in moto's account and Region, naming `resources` where it names an AMI,
    an instance or a repository (other ids stay as documented: resources that do not exist, whose
    findings the handler archives)."""
    sample = load_event(name)
    text = json.dumps(sample).replace(sample["account"], ACCOUNT).replace(sample["region"], REGION)
    event: dict[str, Any] = json.loads(text)
    detail = event["detail"]
    if "ImageId" in detail:
        detail["ImageId"] = resources.image_id
        event["resources"] = [f"arn:aws:ec2:{REGION}::image/{resources.image_id}"]
    if "instance-id" in detail:
        detail["instance-id"] = resources.instance_id
    parameters = detail.get("requestParameters") or {}
    if "imageId" in parameters:
        parameters["imageId"] = resources.image_id
    if "repositoryName" in parameters and event["source"] == "aws.ecr":  # CodeArtifact's are its own names
        parameters["repositoryName"] = resources.repository
    if isinstance(detail.get("repository-name"), str) and not detail["repository-name"].startswith("arn:"):
        detail["repository-name"] = resources.repository
    for item in (detail.get("responseElements") or {}).get("instancesSet", {}).get("items", []):
        item["instanceId"] = resources.instance_id
    if event["source"] == "aws.imagebuilder":  # the documented ARN is a placeholder GetImage refuses
        event["resources"] = [arn.lower() for arn in event["resources"]]
    return event


def own_messages(function: str, resources: Resources) -> list[dict[str, Any]]:
    """The product's own messages to `function`'s queue, and the sweep's schedule and on-demand request."""
    scope = SweepScope(ACCOUNT, REGION, "aws")
    if function == SWEEP:
        on_demand = {**copy.deepcopy(SCHEDULED_EVENT), "source": "provenance-guard", "detail-type": "Sweep Requested"}
        return [
            page(scope, AMI, Action.EVALUATE, [resources.image_id]),
            page(scope, AMI, Action.ARCHIVE, ["ami-0000000000000dead"]),
            copy.deepcopy(SCHEDULED_EVENT),
            on_demand,
        ]
    if function == "image_push":
        return recheck.messages([scope.ref(AMI, resources.image_id)])
    return []


def handler_events(function: str, resources: Resources) -> list[dict[str, Any]]:
    """Every event `function` is delivered in this account: samples first, then the product's messages."""
    return [pointed(name, resources) for name in routed_samples()[function]] + own_messages(function, resources)


def sqs_batch(bodies: list[tuple[str, object]]) -> dict[str, Any]:
    """An SQS event of records (messageId, body): body as SQS would hold it (a string), or anything else."""
    from tests.unit.support import sqs_record

    return {"Records": [{**sqs_record(message_id, ""), "body": body} for message_id, body in bodies]}

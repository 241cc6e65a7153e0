"""AMI events -> work (CONTROLS.md §2): state changes, Image Builder images, launch-permission calls."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provenance_guard.collect.ami import AMI
from provenance_guard.collect.imagebuilder_image import IMAGE_BUILDER_IMAGE
from provenance_guard.triggers.base import Envelope, Trigger, required
from provenance_guard.work import Action, EventError, Work

FUNCTION = "ami_events"
AMI_SHARING_CONTROLS = frozenset({"PG.AMI.3"})


def ami_state_change(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    image_id = required(detail, "ImageId")
    state = required(detail, "State")
    ref = envelope.ref(AMI, image_id)
    if state == "available":
        return [Work(Action.EVALUATE, ref)]
    if state in ("deregistered", "disabled"):
        return [Work(Action.ARCHIVE, ref)]
    return []  # "failed": the AMI never became usable


def image_builder_state_change(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    if required(detail, "state", "status") != "AVAILABLE":
        return []
    images = [r for r in envelope.resources if ":imagebuilder:" in r and ":image/" in r]
    if not images:
        raise EventError("the event's resources name no Image Builder image ARN")
    return [Work(Action.EXPAND, envelope.ref(IMAGE_BUILDER_IMAGE, arn)) for arn in images]


def image_attribute_call(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    image_id = required(detail, "requestParameters", "imageId")
    return [Work(Action.EVALUATE, envelope.ref(AMI, image_id), AMI_SHARING_CONTROLS)]


TRIGGERS = (
    Trigger(
        "AmiStateChange",
        "EC2 AMI State Change: available -> evaluate; deregistered / disabled -> archive",
        FUNCTION,
        source="aws.ec2",
        detail_type="EC2 AMI State Change",
        detail={"State": ["available", "deregistered", "disabled"]},
        parse=ami_state_change,
    ),
    Trigger(
        "ImageBuilderImageAvailable",
        "EC2 Image Builder image AVAILABLE -> evaluate the AMIs it distributed",
        FUNCTION,
        source="aws.imagebuilder",
        detail_type="EC2 Image Builder Image State Change",
        detail={"state": {"status": ["AVAILABLE"]}},
        parse=image_builder_state_change,
    ),
    Trigger(
        "AmiLaunchPermissionCalls",
        "CloudTrail ModifyImageAttribute / ResetImageAttribute -> re-check sharing",
        FUNCTION,
        source="aws.ec2",
        calls={"ModifyImageAttribute": image_attribute_call, "ResetImageAttribute": image_attribute_call},
    ),
)

"""AMI events -> work (CONTROLS.md §2): state changes, Image Builder images, launch-permission calls."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provenance_guard.collect.ami import AMI
from provenance_guard.collect.imagebuilder import image_arn_pattern
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
    for arn in images:
        _check_image_arn(arn, envelope)
    return [Work(Action.EXPAND, envelope.ref(IMAGE_BUILDER_IMAGE, arn)) for arn in images]


def _check_image_arn(arn: str, envelope: Envelope) -> None:
    """Rejects, before GetImage is called, an ARN GetImage would refuse (InvalidParameterValueException) or
    one of another account or Region than the event's. AWS's documented sample event names an image with
    upper-case letters (`...-cdef-EXAMPLE22222`): a placeholder no real image has, so it is rejected with
    this reason rather than lower-cased into the name of some other image."""
    if not image_arn_pattern().fullmatch(arn):
        raise EventError(
            f"{arn[:300]!r} is not an Image Builder image build version ARN as GetImage accepts it"
            f" ({image_arn_pattern().pattern}: image names are lower-case)"
        )
    region, account = arn.split(":")[3:5]
    if (region, account) != (envelope.region, envelope.account):
        raise EventError(f"{arn!r} is an image of {account} in {region}, not of the event's account and Region")


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

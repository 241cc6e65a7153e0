"""events.py: documented EventBridge events -> work (CONTROLS.md §2); unusable events -> EventError."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from provenance_guard.collect.ami import AMI as AMI_KIND
from provenance_guard.collect.instance import INSTANCE
from provenance_guard.model import ResourceRef
from provenance_guard.triggers import parse_event
from provenance_guard.work import Action, EventError, Work
from tests.unit.support import load_event

AMI = "ami-0abcdef1234567890"
SHARING = frozenset({"PG.AMI.3"})


def ami(account: str = "012345678901", region: str = "us-east-1", partition: str = "aws") -> ResourceRef:
    return ResourceRef(AMI_KIND, AMI, account, region, partition)


def instance(instance_id: str = "i-1234567890abcdef0") -> ResourceRef:
    return ResourceRef(INSTANCE, instance_id, "123456789012", "us-east-1")


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("ec2-ami-state-change-available.json", [Work(Action.EVALUATE, ami())]),
        ("ec2-ami-state-change-deregistered.json", [Work(Action.ARCHIVE, ami())]),
        ("ec2-ami-state-change-disabled.json", [Work(Action.ARCHIVE, ami())]),
        ("ec2-ami-state-change-failed.json", []),
        ("ec2-instance-state-change-pending.json", [Work(Action.EVALUATE, instance())]),
        ("ec2-instance-state-change-terminated.json", [Work(Action.ARCHIVE, instance())]),
        (
            "cloudtrail-ec2-modifyimageattribute-account.json",
            [Work(Action.EVALUATE, ami("123456789012"), SHARING)],
        ),
        (
            "cloudtrail-ec2-modifyimageattribute-organization.json",
            [Work(Action.EVALUATE, ami("123456789012"), SHARING)],
        ),
        (
            "cloudtrail-ec2-modifyimageattribute-public.json",
            [Work(Action.EVALUATE, ami("123456789012"), SHARING)],
        ),
        ("cloudtrail-ec2-resetimageattribute.json", [Work(Action.EVALUATE, ami("123456789012"), SHARING)]),
        ("cloudtrail-ec2-runinstances.json", [Work(Action.EVALUATE, instance())]),
        ("cloudtrail-lambda-deletefunction-accessdenied.json", []),
    ],
)
def test_documented_events(fixture: str, expected: list[Work]) -> None:
    assert parse_event(load_event(fixture)) == expected


def test_run_instances_yields_every_launched_instance() -> None:
    event = load_event("cloudtrail-ec2-runinstances.json")
    items = event["detail"]["responseElements"]["instancesSet"]["items"]
    items.append({**items[0], "instanceId": "i-0fedcba9876543210"})
    assert parse_event(event) == [
        Work(Action.EVALUATE, instance()),
        Work(Action.EVALUATE, instance("i-0fedcba9876543210")),
    ]


def test_a_failed_api_call_asks_for_nothing() -> None:
    event = load_event("cloudtrail-ec2-runinstances.json")
    event["detail"]["errorCode"] = "Client.UnauthorizedOperation"
    event["detail"]["errorMessage"] = "You are not authorized to perform this operation."
    event["detail"]["responseElements"] = None
    assert parse_event(event) == []


def test_partition_comes_from_the_resource_arn() -> None:
    event = load_event("ec2-ami-state-change-available.json")
    event["region"] = "cn-north-1"
    event["resources"] = [f"arn:aws-cn:ec2:cn-north-1::image/{AMI}"]
    (work,) = parse_event(event)
    assert work.resource == ami(region="cn-north-1", partition="aws-cn")
    assert work.resource.arn == f"arn:aws-cn:ec2:cn-north-1::image/{AMI}"


def test_partition_of_a_cloudtrail_event_follows_its_region() -> None:
    event = load_event("cloudtrail-ec2-modifyimageattribute-public.json")
    event["region"] = event["detail"]["awsRegion"] = "us-gov-west-1"
    (work,) = parse_event(event)
    assert work.resource.partition == "aws-us-gov"


def _without(event: dict[str, Any], *path: str) -> dict[str, Any]:
    changed = copy.deepcopy(event)
    target = changed
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return changed


def _with(event: dict[str, Any], value: Any, *path: str) -> dict[str, Any]:
    changed = copy.deepcopy(event)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


AVAILABLE = load_event("ec2-ami-state-change-available.json")
MODIFY = load_event("cloudtrail-ec2-modifyimageattribute-account.json")
RUN = load_event("cloudtrail-ec2-runinstances.json")
PENDING = load_event("ec2-instance-state-change-pending.json")


@pytest.mark.parametrize(
    ("event", "message"),
    [
        pytest.param([AVAILABLE], "an EventBridge event is a JSON object, got list", id="list"),
        pytest.param("event", "an EventBridge event is a JSON object, got str", id="string"),
        pytest.param(None, "an EventBridge event is a JSON object, got NoneType", id="null"),
        pytest.param(_without(AVAILABLE, "detail"), "the event has no 'detail' object", id="no-detail"),
        pytest.param(_with(AVAILABLE, "x", "detail"), "the event has no 'detail' object", id="detail-not-object"),
        pytest.param(_without(AVAILABLE, "source"), "the event has no 'source' field", id="no-source"),
        pytest.param(_without(AVAILABLE, "detail-type"), "the event has no 'detail-type' field", id="no-type"),
        pytest.param(_without(AVAILABLE, "account"), "the event has no 'account' field", id="no-account"),
        pytest.param(_without(AVAILABLE, "region"), "the event has no 'region' field", id="no-region"),
        pytest.param(
            _with(AVAILABLE, "12345678901", "account"),
            "the event's account '12345678901' is not a 12-digit account id",
            id="short-account",
        ),
        pytest.param(
            _with(AVAILABLE, "01234567890a", "account"),
            "the event's account '01234567890a' is not a 12-digit account id",
            id="non-digit-account",
        ),
        pytest.param(_without(AVAILABLE, "detail", "ImageId"), "detail.ImageId is missing", id="no-image-id"),
        pytest.param(
            _with(AVAILABLE, "", "detail", "ImageId"), "detail.ImageId is not a non-empty string", id="empty-id"
        ),
        pytest.param(_without(AVAILABLE, "detail", "State"), "detail.State is missing", id="no-state"),
        pytest.param(_without(PENDING, "detail", "instance-id"), "detail.instance-id is missing", id="no-instance-id"),
        pytest.param(
            _with(AVAILABLE, "EC2 Spot Instance Interruption Warning", "detail-type"),
            "no provenance-guard trigger handles aws.ec2 / EC2 Spot Instance Interruption Warning",
            id="unknown-detail-type",
        ),
        pytest.param(
            load_event("securityhub-findings-imported.json"),
            "no provenance-guard trigger handles aws.securityhub / Security Hub Findings - Imported",
            id="securityhub-findings-imported",
        ),
        pytest.param(
            load_event("cloudtrail-ec2-startinstances.json"),
            "no provenance-guard trigger handles aws.ec2 / AWS API Call via CloudTrail",
            id="untracked-api-call",
        ),
        pytest.param(
            _without(MODIFY, "detail", "requestParameters", "imageId"),
            "detail.requestParameters.imageId is missing",
            id="modify-without-image-id",
        ),
        pytest.param(
            _with(RUN, [], "detail", "responseElements", "instancesSet", "items"),
            "detail.responseElements.instancesSet.items is missing or empty",
            id="run-without-instances",
        ),
        pytest.param(
            _with(RUN, None, "detail", "responseElements"),
            "detail.responseElements.instancesSet.items is missing or empty",
            id="run-without-response",
        ),
        pytest.param(
            _with(RUN, [{"imageId": "ami-1"}], "detail", "responseElements", "instancesSet", "items"),
            "detail.instanceId is missing",
            id="run-item-without-instance-id",
        ),
    ],
)
def test_unusable_events_raise_event_error_saying_why(event: Any, message: str) -> None:
    with pytest.raises(EventError) as raised:
        parse_event(event)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(
            _with(RUN, [{"instanceId": "i-1"}], "detail", "responseElements", "instancesSet"),
            id="instancesSet-array",
        ),
        pytest.param(_with(AVAILABLE, {"arn": "x"}, "resources"), id="resources-object"),
    ],
)
def test_wrongly_shaped_events_raise_event_error(event: Any) -> None:
    with pytest.raises(EventError):
        parse_event(event)

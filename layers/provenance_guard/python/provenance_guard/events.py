"""EventBridge events -> the work they ask for (CONTROLS.md §2).

A parser raises `EventError` with a reason for anything it cannot use: the caller logs and skips it
(a retry cannot make a malformed event readable). Events that are valid but ask for nothing (a failed
API call, an AMI entering `failed`) yield no work.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from provenance_guard.lambda_identifiers import parse_function_identifier
from provenance_guard.model import ResourceKind, ResourceRef, partition_for_region


class Action(StrEnum):
    EVALUATE = "evaluate"
    ARCHIVE = "archive"
    EXPAND = "expand"
    """Resolve into other work first (an Image Builder image -> the AMIs it distributed)."""


@dataclass(frozen=True)
class Work:
    action: Action
    resource: ResourceRef
    controls: frozenset[str] | None = None
    """Only these controls (None = every control for the resource kind)."""


class EventError(ValueError):
    """The event cannot be used; the message says why."""


Parser = Callable[[Mapping[str, Any], "Envelope"], list[Work]]
CLOUDTRAIL = "AWS API Call via CloudTrail"
AMI_SHARING_CONTROLS = frozenset({"PG.AMI.3"})
CODE_SIGNING_CONFIG_CONTROLS = frozenset({"PG.LAMBDA.1", "PG.LAMBDA.2"})
API_VERSION_SUFFIX = re.compile(r"20\d{6}(v\d+)?$")
"""Lambda's CloudTrail event names carry the API version: UpdateFunctionCode20150331v2."""
CODE_SIGNING_CONFIG_ARN = re.compile(
    r"^arn:(aws[a-z-]*):lambda:([a-z0-9-]+):(\d{12}):code-signing-config:csc-[a-z0-9]{17}$"
)


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


def parse_event(event: object) -> list[Work]:
    """The work one EventBridge event asks for. Raises `EventError` when it cannot be used."""
    if not isinstance(event, Mapping):
        raise EventError(f"an EventBridge event is a JSON object, got {type(event).__name__}")
    envelope = _envelope(event)
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        raise EventError("the event has no 'detail' object")
    parsers, cloudtrail_parsers = _parsers()
    if envelope.detail_type == CLOUDTRAIL:
        event_name = API_VERSION_SUFFIX.sub("", str(detail.get("eventName")))
        parser = cloudtrail_parsers.get((str(detail.get("eventSource")), event_name))
        if detail.get("errorCode"):
            return []  # a failed API call changed nothing
    else:
        parser = parsers.get((envelope.source, envelope.detail_type))
    if parser is None:
        raise EventError(f"no provenance-guard trigger handles {envelope.source} / {envelope.detail_type}")
    return parser(detail, envelope)


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


def _required(detail: Mapping[str, Any], *path: str) -> str:
    value: Any = detail
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            raise EventError(f"detail.{'.'.join(path)} is missing")
        value = value[key]
    if not isinstance(value, str) or not value:
        raise EventError(f"detail.{'.'.join(path)} is not a non-empty string")
    return value


def _ami_state_change(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    image_id = _required(detail, "ImageId")
    state = _required(detail, "State")
    ref = envelope.ref(ResourceKind.AMI, image_id)
    if state == "available":
        return [Work(Action.EVALUATE, ref)]
    if state in ("deregistered", "disabled"):
        return [Work(Action.ARCHIVE, ref)]
    return []  # "failed": the AMI never became usable


def _image_attribute_call(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    image_id = _required(detail, "requestParameters", "imageId")
    return [Work(Action.EVALUATE, envelope.ref(ResourceKind.AMI, image_id), AMI_SHARING_CONTROLS)]


def _image_builder_state_change(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    if _required(detail, "state", "status") != "AVAILABLE":
        return []
    images = [r for r in envelope.resources if ":imagebuilder:" in r and ":image/" in r]
    if not images:
        raise EventError("the event's resources name no Image Builder image ARN")
    return [Work(Action.EXPAND, envelope.ref(ResourceKind.IMAGE_BUILDER_IMAGE, arn)) for arn in images]


def _instance_state_change(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    ref = envelope.ref(ResourceKind.INSTANCE, _required(detail, "instance-id"))
    state = _required(detail, "state")
    if state == "pending":
        return [Work(Action.EVALUATE, ref)]
    if state == "terminated":
        return [Work(Action.ARCHIVE, ref)]
    return []


def _run_instances_call(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    items = _nested(detail, "responseElements", "instancesSet", "items")
    if not isinstance(items, list) or not items:
        raise EventError("detail.responseElements.instancesSet.items is missing or empty")
    return [Work(Action.EVALUATE, envelope.ref(ResourceKind.INSTANCE, _required(item, "instanceId"))) for item in items]


def _nested(detail: Mapping[str, Any], *path: str) -> Any:
    """The value at `path`, or None if absent; EventError if something on the way is not an object."""
    value: Any = detail
    for depth, key in enumerate(path):
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise EventError(f"detail.{'.'.join(path[:depth])} is a {type(value).__name__}, not an object")
        value = value.get(key)
    return value


_PARSERS: dict[tuple[str, str], Parser] = {
    ("aws.ec2", "EC2 AMI State Change"): _ami_state_change,
    ("aws.ec2", "EC2 Instance State-change Notification"): _instance_state_change,
    ("aws.imagebuilder", "EC2 Image Builder Image State Change"): _image_builder_state_change,
}
_CLOUDTRAIL_PARSERS: dict[tuple[str, str], Parser] = {
    ("ec2.amazonaws.com", "ModifyImageAttribute"): _image_attribute_call,
    ("ec2.amazonaws.com", "ResetImageAttribute"): _image_attribute_call,
    ("ec2.amazonaws.com", "RunInstances"): _run_instances_call,
}


# --- Lambda (CloudTrail; requestParameters only: AWS documents no responseElements for these calls) ---


def _function_call(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """Create/Update/Delete of a function or of its code signing attachment: re-read the function.

    A deleted function is read too: gone, its findings are archived; re-created since (events arrive at
    least once, in no guaranteed order), it is judged instead of wrongly archived."""
    value = _required(detail, "requestParameters", "functionName")
    try:
        function = parse_function_identifier(value)
    except ValueError as error:
        raise EventError(f"detail.requestParameters.functionName: {error}") from None
    account = function.account or envelope.account
    region = function.region or envelope.region
    partition = function.partition or partition_for_region(region)
    return [Work(Action.EVALUATE, ResourceRef(ResourceKind.LAMBDA_FUNCTION, function.name, account, region, partition))]


def _code_signing_config_call(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """UpdateCodeSigningConfig: re-judge PG.LAMBDA.1-2 of every function that uses the configuration."""
    arn = _required(detail, "requestParameters", "codeSigningConfigArn")
    match = CODE_SIGNING_CONFIG_ARN.match(arn)
    if match is None:
        raise EventError(f"detail.requestParameters.codeSigningConfigArn {arn!r} is not a code signing config ARN")
    partition, region, account = match.groups()
    ref = ResourceRef(ResourceKind.CODE_SIGNING_CONFIG, arn, account, region, partition)
    return [Work(Action.EXPAND, ref, CODE_SIGNING_CONFIG_CONTROLS)]


def _code_signing_config_deleted(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """DeleteCodeSigningConfig changes no verdict: Lambda deletes a configuration only when no function
    uses it (ResourceConflictException otherwise), and it can no longer be listed. The event is
    validated and acknowledged; the sweep re-judges every function anyway."""
    _required(detail, "requestParameters", "codeSigningConfigArn")
    return []


_LAMBDA = "lambda.amazonaws.com"
_CLOUDTRAIL_PARSERS.update(
    {
        (_LAMBDA, "CreateFunction"): _function_call,
        (_LAMBDA, "UpdateFunctionCode"): _function_call,
        (_LAMBDA, "UpdateFunctionConfiguration"): _function_call,
        (_LAMBDA, "DeleteFunction"): _function_call,
        (_LAMBDA, "PutFunctionCodeSigningConfig"): _function_call,
        (_LAMBDA, "DeleteFunctionCodeSigningConfig"): _function_call,
        (_LAMBDA, "UpdateCodeSigningConfig"): _code_signing_config_call,
        (_LAMBDA, "DeleteCodeSigningConfig"): _code_signing_config_deleted,
    }
)


@cache
def _parsers() -> tuple[dict[tuple[str, str], Parser], dict[tuple[str, str], Parser]]:
    """Every family's parsers; families with their own module (`events_ecr`) are imported on first use,
    which keeps the import graph one-way (they import the primitives above)."""
    from provenance_guard import events_ecr, recheck

    parsers = {**_PARSERS, **events_ecr.PARSERS, **recheck.PARSERS}
    return parsers, {**_CLOUDTRAIL_PARSERS, **events_ecr.CLOUDTRAIL_PARSERS}

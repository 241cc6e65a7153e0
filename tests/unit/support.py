"""Helpers shared by the unit tests (not fixtures: plain values and builders)."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest
    from botocore.exceptions import ClientError

from provenance_guard.collect.ami import AMI, AmiSnapshot, BlockDevice, LaunchPermission
from provenance_guard.controls.registry import EvaluationContext
from provenance_guard.model import ResourceRef

ACCOUNT = "123456789012"
"""moto's default account: the account every in-process moto call is made from."""
REGION = "us-east-1"
OTHER_ACCOUNT = "444455556666"
EVENTS = Path(__file__).resolve().parents[1] / "fixtures" / "events"
T0 = datetime(2025, 1, 15, 12, 0, 0, tzinfo=UTC)
CONTEXT = EvaluationContext(ACCOUNT, REGION, "aws", T0)
"""What a control knows besides snapshot and policy, at T0."""
NO_THROTTLE = 1_000_000.0
"""Security Hub requests per second for services built in tests: the real `RateLimiter` that
`build_service` creates then never waits measurably (its spacing is tested with a fake clock)."""

# The documented scheduled-rule event ("Tutorial: Schedule AWS Lambda functions using EventBridge",
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html), with the
# account set to moto's. No fixture file exists for it in tests/fixtures/events.
SCHEDULED_EVENT = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": ACCOUNT,
    "time": "2015-10-08T16:53:06Z",
    "region": REGION,
    "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/my-scheduled-rule"],
    "detail": {},
}


def sqs_record(message_id: str, body: str) -> dict[str, Any]:
    """One record of the documented SQS -> Lambda event, as in the Lambda Developer Guide, "Using Lambda
    with Amazon SQS" (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html)."""
    return {
        "messageId": message_id,
        "receiptHandle": f"AQEB-{message_id}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1545082649183",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1545082649185",
        },
        "messageAttributes": {},
        "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:provenance-guard-ami",
        "awsRegion": REGION,
    }


def load_event(name: str) -> dict[str, Any]:
    """One documented AWS sample event from tests/fixtures/events (see SOURCES.md there)."""
    data: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return data


def ami_event(image_id: str, state: str = "available", account: str = ACCOUNT) -> dict[str, Any]:
    """The documented `EC2 AMI State Change` sample for `state`, pointed at a moto AMI."""
    event = load_event(f"ec2-ami-state-change-{state}.json")
    event["account"] = account
    event["region"] = REGION
    event["resources"] = [f"arn:aws:ec2:{REGION}::image/{image_id}"]
    event["detail"]["ImageId"] = image_id
    return event


def cloudtrail_image_event(name: str, image_id: str) -> dict[str, Any]:
    """A documented CloudTrail ModifyImageAttribute / ResetImageAttribute event for a moto AMI."""
    event = load_event(name)
    event["account"] = ACCOUNT
    event["region"] = REGION
    event["detail"]["recipientAccountId"] = ACCOUNT
    event["detail"]["requestParameters"]["imageId"] = image_id
    return event


@dataclass
class FakeClock:
    """A wall clock the test moves by hand (it never moves on its own)."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now


@dataclass
class FakeMonotonic:
    """A monotonic clock and a `sleep` that advances it instead of waiting."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def ami_ref(image_id: str = "ami-0123456789abcdef0", account: str = ACCOUNT) -> ResourceRef:
    return ResourceRef(AMI, image_id, account, REGION)


def ami_snapshot(**overrides: Any) -> AmiSnapshot:
    """A self-owned, private, unshared, available AMI; keyword arguments replace fields."""
    values: dict[str, Any] = {
        "ref": ami_ref(),
        "name": "golden-al2023-2025-01-10",
        "owner_id": ACCOUNT,
        "owner_alias": None,
        "state": "available",
        "public": False,
        "creation_date": T0 - timedelta(days=5),
        "deprecation_time": T0 + timedelta(days=85),
        "imds_support": "v2.0",
        "block_devices": (BlockDevice("/dev/xvda", "snap-0123456789abcdef0", True),),
        "tags": {},
        "launch_permissions": (),
        "image_builder_image_arn": None,
        "source_pipeline_arn": None,
    }
    values.update(overrides)
    return AmiSnapshot(**values)


def permissions(*pairs: tuple[str, str]) -> tuple[LaunchPermission, ...]:
    return tuple(LaunchPermission(kind, value) for kind, value in pairs)


def sns_messages(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Every SNS envelope waiting in the queue (SNS -> SQS, raw delivery off), removed from it."""
    envelopes: list[dict[str, Any]] = []
    while True:
        response = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
        messages = response.get("Messages", [])
        if not messages:
            return envelopes
        for message in messages:
            envelopes.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


@dataclass
class Inbox:
    """An SNS topic with an SQS queue subscribed: what subscribers of the topic would receive."""

    topic_arn: str
    queue_url: str
    sqs: Any

    def messages(self) -> list[dict[str, Any]]:
        """The SNS envelopes delivered since the last call (Subject, Message, MessageAttributes)."""
        return sns_messages(self.sqs, self.queue_url)

    def bodies(self) -> list[dict[str, Any]]:
        """What each notification says, as a subscriber reads it: the filterable attributes (`control`,
        `severity`, `transition`), the `status` the text reports, the `resource` line, and the `text`."""
        bodies = []
        for envelope in self.messages():
            text = envelope["Message"]
            attributes = {k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()}
            status = "PASSED" if text.split("\n", 1)[0].split(" ", 3)[1:3] == ["now", "PASSES"] else "FAILED"
            resource = next(
                line.removeprefix("Resource: ") for line in text.splitlines() if line.startswith("Resource: ")
            )
            bodies.append({**attributes, "status": status, "resource": resource, "text": text})
        return bodies


def error_code(raised: pytest.ExceptionInfo[ClientError]) -> str:
    """The AWS error code of a `pytest.raises(ClientError)` result."""
    return str(raised.value.response["Error"]["Code"])


class HandlerLog:
    """The handlers' log lines (JSON objects), from a strict UTF-8 stream (the `handler_log` fixture)."""

    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        self.stream = io.TextIOWrapper(self._buffer, encoding="utf-8", errors="strict", write_through=True)
        self._read = 0

    def take(self) -> list[dict[str, Any]]:
        """The lines written since the last call, parsed."""
        data = self._buffer.getvalue()
        new, self._read = data[self._read :], len(data)
        # "\n" ends a line, as CloudWatch reads it; str.splitlines would also split at U+0085 or U+2028,
        # which JSON leaves unescaped inside strings.
        return [json.loads(line) for line in new.decode("utf-8").split("\n") if line.startswith("{")]

    def messages(self, message: str) -> list[dict[str, Any]]:
        """The lines written since the last call whose `message` is `message` (the others are dropped)."""
        return [line for line in self.take() if line.get("message") == message]

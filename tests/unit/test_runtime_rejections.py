"""runtime.py: what a retry can never fix is rejected on the first receive, with its reason logged and
counted, before any AWS call where the event itself is at fault; what can pass is still retried (issue 20)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.ami import AMI
from provenance_guard.log_lines import MAX_LOGGED_CHARACTERS, encodable_json
from provenance_guard.runtime import handle_sqs_batch, logger, metrics, sqs_lambda_handler
from provenance_guard.service import Service
from provenance_guard.sweep import SweepScope, page
from provenance_guard.work import Action
from tests.unit.handler_samples import HANDLERS, SWEEP, Resources, handler_events
from tests.unit.support import ACCOUNT, OTHER_ACCOUNT, REGION, HandlerLog, ami_event, load_event, sqs_record

PLACEHOLDERS = Resources("ami-0abcdef1234567890", "i-1234567890abcdef0", "app")
"""Resources that do not exist: none of these records gets as far as reading them."""
OTHER_PRODUCT = f"arn:aws:securityhub:{REGION}:{OTHER_ACCOUNT}:product/{OTHER_ACCOUNT}/default"
IMAGE_ARN = f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:image/golden-al2023/1.0.0/1"


class Calls:
    """Every AWS call the service's clients make (botocore's before-call event)."""

    def __init__(self) -> None:
        self.made: Counter[str] = Counter()

    def __call__(self, model: Any, **_: Any) -> None:
        self.made[f"{model.service_model.service_name}:{model.name}"] += 1


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
def deployed(make_service: Callable[..., Service], calls: Calls) -> Service:
    """The service as a function in REGION runs it, its AWS calls counted (one attempt each: a transient
    error is not waited out here)."""
    session = boto3.session.Session(region_name=REGION)
    session.events.register("before-call", calls)
    return make_service(clients=ClientFactory(session, max_attempts=1), region=REGION)


def handle(service: Service, *bodies: object, sweep: bool = False) -> dict[str, Any]:
    records = [{**sqs_record(f"m{n}", ""), "body": body} for n, body in enumerate(bodies)]
    return handle_sqs_batch({"Records": records}, service, sweep=sweep)


def rejected(log: HandlerLog, message: str = "event rejected") -> list[dict[str, Any]]:
    return log.messages(message)


@pytest.mark.parametrize("region", ["xx-nowhere-9", "", 1, None, "\u0443s-east-1", "a" * 10_000, "cn-north-1"])
@pytest.mark.parametrize("function", HANDLERS)
def test_an_envelope_region_outside_the_partition_is_rejected_at_once_by_every_handler(
    deployed: Service, calls: Calls, handler_log: HandlerLog, function: str, region: object
) -> None:
    event = handler_events(function, PLACEHOLDERS)[0]
    event["region"] = region

    response = handle(deployed, json.dumps(event), sweep=function == SWEEP)

    assert response == {"batchItemFailures": []}
    [line] = rejected(handler_log)
    assert line["messageId"] == "m0"
    assert line["reason"].startswith("the event's region ")
    assert line["body"] == json.dumps(event)[:MAX_LOGGED_CHARACTERS]
    assert not calls.made


@pytest.mark.parametrize(
    ("detail_type", "function", "field", "value", "reason"),
    [
        ("Sweep Page", SWEEP, "account", "12345678901", "the event's account '12345678901' is not a 12-digit"),
        ("Sweep Page", SWEEP, "account", 123456789012, "the event's account 123456789012 is not a 12-digit"),
        ("Sweep Page", SWEEP, "account", "\u0661" * 12, "the event's account"),
        ("Sweep Page", SWEEP, "partition", "aws-xx", "the page's partition 'aws-xx' is not an AWS partition"),
        ("Sweep Page", SWEEP, "partition", None, "malformed page of work: TypeError('partition is a NoneType"),
        ("Recheck", "image_push", "partition", "aws-cn", "the page's region us-east-1 is in partition aws, not aws-cn"),
        ("Recheck", "image_push", "account", "", "the event's account '' is not a 12-digit account id"),
    ],
)
def test_a_page_naming_no_real_account_or_partition_is_rejected_before_any_aws_call(
    deployed: Service,
    calls: Calls,
    handler_log: HandlerLog,
    detail_type: str,
    function: str,
    field: str,
    value: object,
    reason: str,
) -> None:
    message = page(SweepScope(ACCOUNT, REGION, "aws"), AMI, Action.EVALUATE, [PLACEHOLDERS.image_id], detail_type)
    (message["detail"] if field == "partition" else message)[field] = value

    assert handle(deployed, json.dumps(message), sweep=function == SWEEP) == {"batchItemFailures": []}
    [line] = rejected(handler_log)
    assert line["reason"].startswith(reason)
    assert not calls.made


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (None, "the SQS record's body is NoneType, not a string"),
        (42, "the SQS record's body is int, not a string"),
        ({"source": "aws.ec2"}, "the SQS record's body is dict, not a string"),
        ("{not json", "the body is not usable JSON: JSONDecodeError: Expecting property name"),
        ("[" * 100_000, "the body is not usable JSON: RecursionError"),
        ("1" * 5_000, "the body is not usable JSON: ValueError: Exceeds the limit"),
    ],
)
def test_a_body_that_holds_no_json_event_is_rejected(
    deployed: Service, handler_log: HandlerLog, body: object, reason: str
) -> None:
    assert handle(deployed, body) == {"batchItemFailures": []}
    [line] = rejected(handler_log)
    assert line["reason"].startswith(reason)


def test_records_that_are_no_sqs_records_are_rejected_and_the_others_processed(
    deployed: Service, make_ami: Callable[..., str], handler_log: HandlerLog
) -> None:
    good = sqs_record("good", json.dumps(ami_event(make_ami())))
    response = handle_sqs_batch({"Records": [None, good, "x"]}, deployed)
    assert response == {"batchItemFailures": []}
    lines = handler_log.take()
    assert [line["reason"] for line in lines if line["message"] == "event rejected"] == [
        "an SQS record is an object, not a NoneType",
        "an SQS record is an object, not a str",
    ]
    assert [line.get("messageId") for line in lines if line["message"] == "work done"] == ["good"]


def test_a_lone_surrogate_is_logged_escaped_with_the_reason(
    deployed: Service, handler_log: HandlerLog, capsys: pytest.CaptureFixture[str]
) -> None:
    body = '{"source": "\\ud800", "detail-type": "x", "account": "123456789012", "region": "us-east-1", "detail": {}}'

    assert handle(deployed, body) == {"batchItemFailures": []}

    [line] = rejected(handler_log)
    assert line["reason"] == "the event holds text that is not valid Unicode: surrogates not allowed"
    assert line["body"] == body
    assert "Logging error" not in capsys.readouterr().err


def test_a_log_line_with_text_utf8_cannot_encode_is_escaped_never_dropped(
    handler_log: HandlerLog, capsys: pytest.CaptureFixture[str]
) -> None:
    logger.warning("event rejected", extra={"reason": "no trigger handles \ud800 / x\udfff"})

    [line] = rejected(handler_log)
    assert line["reason"] == "no trigger handles \ud800 / x\udfff"  # JSON escapes give the text back
    assert "Logging error" not in capsys.readouterr().err
    assert encodable_json({"ok": "é"}) == '{"ok":"é"}'  # text UTF-8 can encode stays readable
    assert encodable_json({"bad": "\ud800"}) == '{"bad":"\\ud800"}'


def test_the_documented_image_builder_sample_arn_is_rejected_without_calling_get_image(
    deployed: Service, calls: Calls, handler_log: HandlerLog
) -> None:
    event = load_event("imagebuilder-image-state-change-available.json")  # exactly as AWS publishes it
    event["account"], event["region"] = ACCOUNT, REGION
    event["resources"] = [r.replace("111122223333", ACCOUNT).replace("us-west-2", REGION) for r in event["resources"]]

    assert handle(deployed, json.dumps(event)) == {"batchItemFailures": []}

    [line] = rejected(handler_log)
    assert "cmkencryptedworkflowtest-a1b2c3d4-5678-90ab-cdef-EXAMPLE22222" in line["reason"]
    assert "is not an Image Builder image build version ARN as GetImage accepts it" in line["reason"]
    assert not calls.made


def test_an_image_builder_arn_of_another_region_is_rejected(deployed: Service, handler_log: HandlerLog) -> None:
    event = load_event("imagebuilder-image-state-change-available.json")
    event["account"], event["region"] = ACCOUNT, REGION
    event["resources"] = [IMAGE_ARN.replace(REGION, "eu-west-1")]
    assert handle(deployed, json.dumps(event)) == {"batchItemFailures": []}
    [line] = rejected(handler_log)
    assert line["reason"].endswith("is an image of 123456789012 in eu-west-1, not of the event's account and Region")


@pytest.fixture
def image_builder_event() -> str:
    """The documented Image Builder event, naming an image whose ARN GetImage accepts."""
    event = load_event("imagebuilder-image-state-change-available.json")
    event["account"], event["region"], event["resources"] = ACCOUNT, REGION, [IMAGE_ARN]
    return json.dumps(event)


def test_an_item_aws_refuses_as_invalid_is_rejected_and_costs_its_record_no_retry(
    deployed: Service,
    make_ami: Callable[..., str],
    handler_log: HandlerLog,
    emulator_faults: Callable[..., None],
    image_builder_event: str,
) -> None:
    emulator_faults("imagebuilder", "GetImage", "InvalidParameterValueException", status=400)
    ami = json.dumps(ami_event(make_ami()))

    assert handle(deployed, image_builder_event, ami) == {"batchItemFailures": []}

    lines = handler_log.take()
    [item] = [line for line in lines if line["message"] == "item rejected"]
    assert (item["messageId"], item["resource"]) == ("m0", IMAGE_ARN)
    assert item["reason"].startswith("InvalidParameterValueException: ")
    assert item["reason"].endswith("(GetImage)")
    assert {line["messageId"] for line in lines if line["message"] == "work done"} == {"m0", "m1"}


@pytest.mark.parametrize("code", ["ThrottlingException", "CallRateLimitExceededException", "ServiceException"])
def test_an_item_whose_aws_read_can_pass_still_fails_its_record_for_sqs_to_retry(
    deployed: Service,
    handler_log: HandlerLog,
    emulator_faults: Callable[..., None],
    image_builder_event: str,
    code: str,
) -> None:
    emulator_faults("imagebuilder", "GetImage", code)
    assert handle(deployed, image_builder_event) == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    [line] = handler_log.messages("processing failed; SQS will retry the record")
    assert code in line["reason"]


def test_findings_security_hub_refuses_as_invalid_are_rejected_not_retried(
    deployed: Service, make_ami: Callable[..., str], handler_log: HandlerLog
) -> None:
    # A page naming another account's AMI: Security Hub refuses its findings (InvalidAccess) every time.
    message = page(SweepScope(OTHER_ACCOUNT, REGION, "aws"), AMI, Action.EVALUATE, [make_ami()])

    assert handle(deployed, json.dumps(message), sweep=True) == {"batchItemFailures": []}

    refused = handler_log.messages("finding rejected")
    assert refused
    assert all(line["reason"].startswith("InvalidAccess: ") for line in refused)
    assert all(f"not authorized to import findings for product {OTHER_PRODUCT}" in line["reason"] for line in refused)


LAMBDA_CONTEXT = SimpleNamespace(
    function_name="provenance-guard-ami",
    function_version="$LATEST",
    memory_limit_in_mb=256,
    invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:provenance-guard-ami",
    aws_request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
)


def test_rejections_are_counted_in_metrics(
    deployed: Service, make_ami: Callable[..., str], capsys: pytest.CaptureFixture[str]
) -> None:
    foreign = page(SweepScope(OTHER_ACCOUNT, REGION, "aws"), AMI, Action.EVALUATE, [make_ami()])
    records = [sqs_record("bad", "{not json"), sqs_record("foreign", json.dumps(foreign))]
    metrics.clear_metrics()  # what earlier tests' batches added (only the Lambda entry point flushes)

    assert sqs_lambda_handler({"Records": records}, LAMBDA_CONTEXT, service=deployed) == {"batchItemFailures": []}

    emitted: dict[str, float] = {}
    for line in capsys.readouterr().out.splitlines():
        document = json.loads(line) if line.startswith('{"_aws"') else {}
        for metric in (m for d in document.get("_aws", {}).get("CloudWatchMetrics", []) for m in d["Metrics"]):
            value = document[metric["Name"]]
            emitted[metric["Name"]] = sum(value) if isinstance(value, list) else value
    assert emitted["EventsRejected"] == 1
    assert emitted["FindingsRejected"] >= 1


def test_a_client_error_unrelated_to_the_event_is_not_mistaken_for_a_rejection(
    deployed: Service, make_ami: Callable[..., str], handler_log: HandlerLog, emulator_faults: Callable[..., None]
) -> None:
    """A 5xx answer whose code reads like a validation error can pass: retried."""
    emulator_faults("ec2", "DescribeImages", "ValidationException", status=503)
    assert handle(deployed, json.dumps(ami_event(make_ami()))) == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    assert rejected(handler_log) == []

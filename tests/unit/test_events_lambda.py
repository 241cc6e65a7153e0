"""events.py, Lambda triggers (CONTROLS.md §2): the documented CloudTrail records -> work. Names carry API
versions (matched without them), functionName comes in every form the API accepts, failed calls ask for
nothing, and code signing configuration calls expand into the functions that use the configuration."""

from __future__ import annotations

from typing import Any

import pytest

from provenance_guard.collect.lambda_function import CODE_SIGNING_CONFIG, LAMBDA_FUNCTION
from provenance_guard.model import ResourceRef
from provenance_guard.triggers import parse_event
from provenance_guard.work import Action, EventError, Work
from tests.unit.support import load_event

FIXTURE_ACCOUNT = "111122223333"
CONFIG = "arn:aws:lambda:us-east-1:111122223333:code-signing-config:csc-0123456789abcdef0"
SIGNING_CONTROLS = frozenset({"PG.LAMBDA.1", "PG.LAMBDA.2"})


def function(name: str = "basic-node-task", account: str = FIXTURE_ACCOUNT, region: str = "us-east-1") -> ResourceRef:
    return ResourceRef(LAMBDA_FUNCTION, name, account, region, "aws-cn" if region.startswith("cn-") else "aws")


def evaluate(ref: ResourceRef | None = None) -> list[Work]:
    return [Work(Action.EVALUATE, ref or function())]


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("cloudtrail-lambda-createfunction.json", evaluate()),
        ("cloudtrail-lambda-updatefunctioncode.json", evaluate()),
        ("cloudtrail-lambda-updatefunctionconfiguration.json", evaluate()),
        ("cloudtrail-lambda-putfunctioncodesigningconfig.json", evaluate()),
        ("cloudtrail-lambda-deletefunctioncodesigningconfig.json", evaluate()),
        ("cloudtrail-lambda-deletefunction.json", evaluate()),
        (
            "cloudtrail-lambda-updatecodesigningconfig.json",
            [
                Work(
                    Action.EXPAND,
                    ResourceRef(CODE_SIGNING_CONFIG, CONFIG, FIXTURE_ACCOUNT, "us-east-1"),
                    SIGNING_CONTROLS,
                )
            ],
        ),
        ("cloudtrail-lambda-deletecodesigningconfig.json", []),
        ("cloudtrail-lambda-deletefunction-accessdenied.json", []),
    ],
)
def test_documented_lambda_records(fixture: str, expected: list[Work]) -> None:
    assert parse_event(load_event(fixture)) == expected


def with_function_name(value: Any, fixture: str = "cloudtrail-lambda-updatefunctioncode.json") -> dict[str, Any]:
    event = load_event(fixture)
    event["detail"]["requestParameters"]["functionName"] = value
    return event


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("basic-node-task", function()),
        ("basic-node-task:live", function()),
        ("111122223333:function:basic-node-task", function()),
        ("111122223333:function:basic-node-task:3", function()),
        ("arn:aws:lambda:us-east-1:111122223333:function:basic-node-task", function()),
        ("arn:aws:lambda:us-east-1:111122223333:function:basic-node-task:$LATEST", function()),
        ("arn:aws:lambda:us-east-1:111122223333:function:basic-node-task:7", function()),
        ("arn:aws-cn:lambda:cn-north-1:111122223333:function:basic-node-task", function(region="cn-north-1")),
    ],
)
def test_qualified_and_unqualified_names_judge_the_unqualified_function(value: str, expected: ResourceRef) -> None:
    (work,) = parse_event(with_function_name(value))
    assert work == Work(Action.EVALUATE, expected)
    assert work.resource.arn == expected.arn
    assert ":basic-node-task:" not in work.resource.arn


def test_deleting_one_version_re_reads_the_function() -> None:
    event = with_function_name("basic-node-task", "cloudtrail-lambda-deletefunction.json")
    event["detail"]["requestParameters"]["qualifier"] = "3"
    assert parse_event(event) == evaluate()


@pytest.mark.parametrize(
    "event_name",
    [
        "CreateFunction",
        "CreateFunction20150331",
        "UpdateFunctionCode20150331v2",
        "UpdateFunctionConfiguration20150331v2",
        "DeleteFunction20150331",
        "PutFunctionCodeSigningConfig",
        "DeleteFunctionCodeSigningConfig",
    ],
)
def test_bare_and_versioned_event_names(event_name: str) -> None:
    event = load_event("cloudtrail-lambda-createfunction.json")
    event["detail"]["eventName"] = event_name
    assert parse_event(event) == evaluate()


@pytest.mark.parametrize("event_name", ["CreateFunctionUrlConfig20211031", "DeleteFunctionConcurrency20171031"])
def test_lookalike_event_names_are_not_triggers(event_name: str) -> None:
    event = load_event("cloudtrail-lambda-createfunction.json")
    event["detail"]["eventName"] = event_name
    with pytest.raises(EventError, match="no provenance-guard trigger"):
        parse_event(event)


@pytest.mark.parametrize(
    "fixture",
    [
        "cloudtrail-lambda-createfunction.json",
        "cloudtrail-lambda-putfunctioncodesigningconfig.json",
        "cloudtrail-lambda-updatecodesigningconfig.json",
        "cloudtrail-lambda-deletecodesigningconfig.json",
    ],
)
def test_failed_calls_change_nothing(fixture: str) -> None:
    event = load_event(fixture)
    event["detail"]["errorCode"] = "AccessDeniedException"
    event["detail"]["errorMessage"] = "User is not authorized to perform this operation"
    assert parse_event(event) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "requestParameters.functionName is missing"),
        ("", "is not a non-empty string"),
        ("not a function!", "not a Lambda function name or ARN"),
        ("arn:aws:lambda:us-east-1:111122223333:layer:x:1", "not a Lambda function name or ARN"),
    ],
)
def test_unusable_function_names(value: Any, message: str) -> None:
    event = with_function_name(value)
    if value is None:
        del event["detail"]["requestParameters"]["functionName"]
    with pytest.raises(EventError, match=message):
        parse_event(event)


def test_request_parameters_null_is_unusable() -> None:
    event = load_event("cloudtrail-lambda-createfunction.json")
    event["detail"]["requestParameters"] = None
    with pytest.raises(EventError, match="functionName is missing"):
        parse_event(event)


def test_a_code_signing_config_arn_must_be_one() -> None:
    event = load_event("cloudtrail-lambda-updatecodesigningconfig.json")
    event["detail"]["requestParameters"]["codeSigningConfigArn"] = "csc-0123456789abcdef0"
    with pytest.raises(EventError, match="is not a code signing config ARN"):
        parse_event(event)

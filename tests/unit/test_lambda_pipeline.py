"""The Lambda family through the one pipeline (moto in-process): an SQS batch of CloudTrail events in,
findings in Security Hub out; code signing config changes re-judge PG.LAMBDA.1-2 of every function using
the config; a deleted function's findings are archived; the sweep lists every function."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from provenance_guard.clients import ClientFactory
from provenance_guard.runtime import handle_sqs_batch
from provenance_guard.service import Service
from provenance_guard.sweep import SweepScope, page_work, plan_pages
from provenance_guard.work import Action, Work
from tests.unit.lambda_support import (
    ACCOUNT,
    REGION,
    archive,
    code_signing_config,
    create_function,
    function_ref,
    sign,
    signing_profile,
)
from tests.unit.support import FakeClock, Inbox, load_event, sqs_record


@pytest.fixture
def lam(aws: None) -> Any:
    return boto3.client("lambda", region_name=REGION)


@pytest.fixture
def iam(aws: None) -> Any:
    return boto3.client("iam", region_name=REGION)


def cloudtrail(fixture: str, **request: str) -> dict[str, Any]:
    """A documented Lambda CloudTrail record re-addressed to moto's account."""
    event = load_event(fixture)
    event["account"] = event["detail"]["recipientAccountId"] = ACCOUNT
    event["detail"]["requestParameters"].update(request)
    return event


def run(service: Service, *events: dict[str, Any]) -> dict[str, Any]:
    records = [sqs_record(f"m{i}", json.dumps(event)) for i, event in enumerate(events)]
    return handle_sqs_batch({"Records": records}, service)


def findings(securityhub: Any, name: str) -> dict[str, dict[str, Any]]:
    arn = function_ref(name).arn
    return {
        f["Compliance"]["SecurityControlId"]: f
        for f in securityhub.get_findings()["Findings"]
        if f["Resources"][0]["Id"] == arn
    }


def statuses(securityhub: Any, name: str) -> dict[str, str]:
    return {
        control: f["Compliance"]["Status"] if f["RecordState"] == "ACTIVE" else "ARCHIVED"
        for control, f in findings(securityhub, name).items()
    }


@pytest.fixture
def signed_setup(lam: Any, iam: Any) -> tuple[str, str]:
    """A function deployed from a package signed by the trusted `release` profile; (config ARN, profile ARN)."""
    s3, signer = boto3.client("s3", region_name=REGION), boto3.client("signer", region_name=REGION)
    profile = signing_profile(signer)
    config = code_signing_config(lam, profile.version_arn, policy="Enforce")
    create_function(lam, iam, "billing", code=sign(s3, signer, archive(), profile).code, CodeSigningConfigArn=config)
    return config, profile.arn


def test_a_signed_function_passes_every_zip_control(
    make_service: Callable[..., Service], securityhub: Any, signed_setup: tuple[str, str]
) -> None:
    _, profile = signed_setup
    service = make_service({"lambda": {"trusted_signing_profiles": [profile]}})

    assert run(service, cloudtrail("cloudtrail-lambda-createfunction.json", functionName="billing")) == {
        "batchItemFailures": []
    }

    found = findings(securityhub, "billing")
    assert statuses(securityhub, "billing") == {f"PG.LAMBDA.{n}": "PASSED" for n in range(1, 6)}
    latest = found["PG.LAMBDA.1"]
    assert latest["Resources"][0]["Type"] == "AwsLambdaFunction"
    assert latest["Resources"][0]["Id"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:billing"
    assert latest["Resources"][0]["Details"]["AwsLambdaFunction"]["FunctionName"] == "billing"


def test_a_config_change_re_judges_only_pg_lambda_1_and_2_of_the_functions_using_it(
    make_service: Callable[..., Service],
    securityhub: Any,
    lam: Any,
    iam: Any,
    signed_setup: tuple[str, str],
    clock: FakeClock,
    notifications: Inbox,
) -> None:
    config, profile = signed_setup
    service = make_service({"lambda": {"trusted_signing_profiles": [profile]}})
    run(service, cloudtrail("cloudtrail-lambda-createfunction.json", functionName="billing"))
    before = findings(securityhub, "billing")
    notifications.messages()
    clock.advance(minutes=5)

    lam.update_code_signing_config(
        CodeSigningConfigArn=config, CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Warn"}
    )
    run(service, cloudtrail("cloudtrail-lambda-updatecodesigningconfig.json", codeSigningConfigArn=config))

    after = findings(securityhub, "billing")
    assert after["PG.LAMBDA.1"]["Compliance"]["Status"] == "FAILED"
    assert after["PG.LAMBDA.1"]["UpdatedAt"] > before["PG.LAMBDA.1"]["UpdatedAt"]
    for untouched in ("PG.LAMBDA.3", "PG.LAMBDA.4", "PG.LAMBDA.5"):
        assert after[untouched]["UpdatedAt"] == before[untouched]["UpdatedAt"], untouched
    assert [body["control"] for body in notifications.bodies()] == ["PG.LAMBDA.1"]


def test_attaching_a_config_after_deployment_leaves_pg_lambda_3_failing(
    make_service: Callable[..., Service], securityhub: Any, lam: Any, iam: Any
) -> None:
    signer = boto3.client("signer", region_name=REGION)
    profile = signing_profile(signer)
    create_function(lam, iam, "legacy")
    config = code_signing_config(lam, profile.version_arn)
    lam.put_function_code_signing_config(FunctionName="legacy", CodeSigningConfigArn=config)
    service = make_service({"lambda": {"trusted_signing_profiles": [profile.arn]}})

    run(
        service,
        cloudtrail(
            "cloudtrail-lambda-putfunctioncodesigningconfig.json", functionName="legacy", codeSigningConfigArn=config
        ),
    )

    result = statuses(securityhub, "legacy")
    assert (result["PG.LAMBDA.1"], result["PG.LAMBDA.2"], result["PG.LAMBDA.3"]) == ("PASSED", "PASSED", "FAILED")


def test_a_deleted_function_has_its_findings_archived_and_a_recreated_one_is_judged(
    make_service: Callable[..., Service], securityhub: Any, lam: Any, iam: Any, clock: FakeClock
) -> None:
    service = make_service()
    create_function(lam, iam, "scratch")
    run(service, cloudtrail("cloudtrail-lambda-createfunction.json", functionName="scratch"))
    assert set(statuses(securityhub, "scratch").values()) >= {"FAILED"}

    lam.delete_function(FunctionName="scratch")
    clock.advance(minutes=1)
    run(service, cloudtrail("cloudtrail-lambda-deletefunction.json", functionName="scratch"))
    assert set(statuses(securityhub, "scratch").values()) == {"ARCHIVED"}

    create_function(lam, iam, "scratch")
    clock.advance(minutes=1)
    run(service, cloudtrail("cloudtrail-lambda-deletefunction.json", functionName="scratch"))  # delivered late
    assert "ARCHIVED" not in statuses(securityhub, "scratch").values()


def test_a_failed_call_changes_nothing(
    make_service: Callable[..., Service], securityhub: Any, lam: Any, iam: Any
) -> None:
    create_function(lam, iam, "billing")
    event = cloudtrail("cloudtrail-lambda-deletefunction-accessdenied.json", functionName="billing")
    assert run(make_service(), event) == {"batchItemFailures": []}
    assert findings(securityhub, "billing") == {}


def test_the_sweep_lists_every_function(lam: Any, iam: Any) -> None:
    for name in ("billing", "reports"):
        create_function(lam, iam, name)
    pages = plan_pages(ClientFactory(max_attempts=1), None, SweepScope(ACCOUNT, REGION, "aws"))
    work = [w for page in pages for w in page_work(page) if w.resource.kind.value == "lambda-function"]
    assert work == [Work(Action.EVALUATE, function_ref("billing")), Work(Action.EVALUATE, function_ref("reports"))]

"""runtime.py: one SQS batch of EventBridge events, record by record, with partial batch failures."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from provenance_guard import publish
from provenance_guard.findings import finding_id
from provenance_guard.runtime import handle_sqs_batch, sqs_lambda_handler, sweep_lambda_handler
from provenance_guard.service import Service
from tests.unit.support import (
    ACCOUNT,
    REGION,
    SCHEDULED_EVENT,
    Inbox,
    ami_event,
    ami_ref,
    load_event,
    sqs_record,
)

PUBLIC = [{"Group": "all"}]


def batch(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}


LAMBDA_CONTEXT = SimpleNamespace(
    function_name="provenance-guard-ami",
    function_version="$LATEST",
    memory_limit_in_mb=256,
    invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:provenance-guard-ami",
    aws_request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
)


def test_only_the_record_whose_processing_failed_is_retried(
    service: Service,
    make_ami: Callable[..., str],
    failed_findings: Callable[..., None],
    notifications: Inbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(publish, "_backoff", lambda round_number: 0.0)
    good, doomed = make_ami(launch_permissions=PUBLIC), make_ami(launch_permissions=PUBLIC)
    failed_findings(finding_id(ami_ref(doomed), "PG.AMI.3"), "InternalException", publish.MAX_FAILED_FINDING_ROUNDS)
    event = batch(
        sqs_record("good", json.dumps(ami_event(good))),
        sqs_record("malformed-json", "{not json"),
        sqs_record("unusable", json.dumps(load_event("securityhub-findings-imported.json"))),
        sqs_record("processing-fails", json.dumps(ami_event(doomed))),
    )

    response = handle_sqs_batch(event, service)

    assert response == {"batchItemFailures": [{"itemIdentifier": "processing-fails"}]}
    assert [b["resource"] for b in notifications.bodies()] == [ami_ref(good).arn]


def test_a_redelivered_record_is_processed_once_more_without_duplicates(
    service: Service, make_ami: Callable[..., str], notifications: Inbox
) -> None:
    record = sqs_record("m1", json.dumps(ami_event(make_ami(launch_permissions=PUBLIC))))
    assert handle_sqs_batch(batch(record), service) == {"batchItemFailures": []}
    assert handle_sqs_batch(batch(record), service) == {"batchItemFailures": []}
    assert len(notifications.messages()) == 1


@pytest.mark.parametrize("event", [{}, {"Records": "x"}, load_event("ec2-ami-state-change-available.json")])
def test_an_event_that_is_not_an_sqs_batch_is_rejected(service: Service, event: dict[str, Any]) -> None:
    assert handle_sqs_batch(event, service) == {"batchItemFailures": []}


def test_an_empty_batch(service: Service) -> None:
    assert handle_sqs_batch({"Records": []}, service) == {"batchItemFailures": []}


def test_the_lambda_entry_point_uses_the_given_service(
    service: Service, make_ami: Callable[..., str], notifications: Inbox
) -> None:
    event = batch(sqs_record("m1", json.dumps(ami_event(make_ami(launch_permissions=PUBLIC)))))
    assert sqs_lambda_handler(event, LAMBDA_CONTEXT, service=service) == {"batchItemFailures": []}
    assert [b["control"] for b in notifications.bodies()] == ["PG.AMI.3"]


def test_the_sweep_entry_point_evaluates_the_inventory(
    service: Service, make_ami: Callable[..., str], notifications: Inbox
) -> None:
    images = [make_ami(launch_permissions=PUBLIC), make_ami(launch_permissions=PUBLIC)]
    event = batch(
        sqs_record("sweep", json.dumps(SCHEDULED_EVENT)),
        sqs_record("not-a-sweep", json.dumps(ami_event(images[0]))),
    )
    assert sweep_lambda_handler(event, LAMBDA_CONTEXT, service=service) == {"batchItemFailures": []}
    assert sorted(b["resource"] for b in notifications.bodies()) == sorted(ami_ref(i).arn for i in images)


def test_an_event_of_the_wrong_shape_fails_only_its_own_record(service: Service, make_ami: Callable[..., str]) -> None:
    poison = load_event("cloudtrail-ec2-runinstances.json")
    poison["detail"]["responseElements"]["instancesSet"] = [{"instanceId": "i-1234567890abcdef0"}]
    event = batch(
        sqs_record("poison", json.dumps(poison)),
        sqs_record("healthy", json.dumps(ami_event(make_ami()))),
    )
    response = handle_sqs_batch(event, service)
    assert response["batchItemFailures"] in ([], [{"itemIdentifier": "poison"}])


def test_an_aws_error_in_the_sweep_inventory_fails_only_its_own_record(
    service: Service, make_ami: Callable[..., str], emulator_faults: Callable[..., None]
) -> None:
    make_ami()
    emulator_faults("ec2", "DescribeImages", "UnauthorizedOperation", count=1)
    event = batch(
        sqs_record("unlucky", json.dumps(SCHEDULED_EVENT)),
        sqs_record("healthy", json.dumps(SCHEDULED_EVENT)),
    )
    response = handle_sqs_batch(event, service, sweep=True)
    assert response["batchItemFailures"] == [{"itemIdentifier": "unlucky"}]

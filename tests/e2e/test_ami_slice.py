"""PG.AMI.1 and PG.AMI.3 end to end: documented events -> the stack's rules -> the real handler ->
Security Hub findings and SNS notifications in the emulator."""

from __future__ import annotations

import json
from typing import Any

import pytest

from provenance_guard_cli.sample_account import (
    ALLOWED_SHARE_TARGET,
    UNKNOWN_SHARE_TARGET,
    UNTRUSTED_ACCOUNT,
    ami_available,
    sample_event,
)

pytestmark = pytest.mark.e2e
ALL_AMI_CONTROLS = {"PG.AMI.1", "PG.AMI.2", "PG.AMI.3", "PG.AMI.4", "PG.AMI.5", "PG.AMI.6"}


def register(ec2: Any, name: str, **tags: str) -> str:
    request: dict[str, Any] = {"Name": name, "ImdsSupport": "v2.0"}
    if tags:
        request["TagSpecifications"] = [
            {"ResourceType": "image", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
        ]
    image_id: str = ec2.register_image(**request)["ImageId"]
    return image_id


def by_control(findings: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {f["Compliance"]["SecurityControlId"]: f for f in findings}


def test_available_ami_gets_findings_from_the_ami_function(client, replayer):
    ec2 = client("ec2")
    image = register(ec2, "golden-image")
    ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Add": [{"UserId": ALLOWED_SHARE_TARGET}]})

    result = replayer.replay(ami_available(image), "available")

    assert [(i.function, i.failed_records) for i in result.invocations] == [("ami_events", 0)]
    findings = by_control(result.findings)
    assert findings["PG.AMI.1"]["Compliance"]["Status"] == "PASSED"
    assert findings["PG.AMI.3"]["Compliance"]["Status"] == "PASSED"
    assert findings["PG.AMI.3"]["Resources"][0]["Id"] == f"arn:aws:ec2:us-east-1::image/{image}"
    assert result.notifications == []


def test_untrusted_owner_fails_and_notifies(client, replayer):
    image = register(client("ec2"), "community-image", **{"emulator:owner-id": UNTRUSTED_ACCOUNT})

    result = replayer.replay(ami_available(image), "available")

    finding = by_control(result.findings)["PG.AMI.1"]
    assert finding["Compliance"]["Status"] == "FAILED"
    assert finding["ProductFields"]["provenance-guard/Evidence/OwnerId"] == UNTRUSTED_ACCOUNT
    [notification] = result.notifications
    assert notification["attributes"] == {"severity": "HIGH", "control": "PG.AMI.1", "transition": "NEW_FAILURE"}
    assert f"Resource: arn:aws:ec2:us-east-1::image/{image}\n" in notification["message"]


def test_public_then_reset_goes_critical_then_resolved(client, replayer):
    ec2 = client("ec2")
    image = register(ec2, "debug-image")
    replayer.replay(ami_available(image), "available")

    ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Add": [{"Group": "all"}]})
    public = replayer.replay(
        sample_event("cloudtrail-ec2-modifyimageattribute-public.json", **{"detail.requestParameters.imageId": image}),
        "made public",
    )
    [finding] = public.findings  # the CloudTrail trigger re-judges sharing only
    assert finding["Compliance"]["SecurityControlId"] == "PG.AMI.3"
    assert finding["Compliance"]["Status"] == "FAILED"
    assert finding["FindingProviderFields"]["Severity"]["Label"] == "CRITICAL"
    assert [n["attributes"]["severity"] for n in public.notifications] == ["CRITICAL"]

    ec2.reset_image_attribute(ImageId=image, Attribute="launchPermission")
    reset = replayer.replay(
        sample_event("cloudtrail-ec2-resetimageattribute.json", **{"detail.requestParameters.imageId": image}),
        "reset",
    )
    [resolved] = reset.findings
    assert resolved["Id"] == finding["Id"]
    assert resolved["Compliance"]["Status"] == "PASSED"
    assert resolved["CreatedAt"] == finding["CreatedAt"]
    assert resolved["UpdatedAt"] > finding["UpdatedAt"]
    assert [n["attributes"]["transition"] for n in reset.notifications] == ["RESOLVED"]


def test_share_with_unknown_account_fails(client, replayer):
    ec2 = client("ec2")
    image = register(ec2, "golden-image")
    ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Add": [{"UserId": UNKNOWN_SHARE_TARGET}]})
    event = sample_event(
        "cloudtrail-ec2-modifyimageattribute-account.json",
        **{"detail.requestParameters.imageId": image},
        **{"detail.requestParameters.launchPermission.add.items": [{"userId": UNKNOWN_SHARE_TARGET}]},
    )

    [finding] = replayer.replay(event, "shared").findings

    assert finding["Compliance"]["Status"] == "FAILED"
    assert UNKNOWN_SHARE_TARGET in finding["Compliance"]["StatusReasons"][0]["Description"]


def test_deregistered_ami_findings_are_archived_and_come_back_when_available(client, replayer):
    ec2 = client("ec2")
    image = register(ec2, "old-image")
    first = by_control(replayer.replay(ami_available(image), "available").findings)

    ec2.disable_image(ImageId=image)
    disabled = replayer.replay(
        sample_event(
            "ec2-ami-state-change-disabled.json",
            resources=[f"arn:aws:ec2:us-east-1::image/{image}"],
            **{"detail.ImageId": image},
        ),
        "disabled",
    )
    assert {f["RecordState"] for f in disabled.findings} == {"ARCHIVED"}
    assert {f["Id"] for f in disabled.findings} == {f["Id"] for f in first.values()}

    ec2.enable_image(ImageId=image)
    again = replayer.replay(ami_available(image), "available again")
    assert {f["RecordState"] for f in again.findings} == {"ACTIVE"}
    assert {f["Id"] for f in again.findings} == {f["Id"] for f in first.values()}


def test_unchanged_ami_is_not_reimported(client, replayer):
    image = register(client("ec2"), "stable-image")
    replayer.replay(ami_available(image), "first")

    second = replayer.replay(ami_available(image), "duplicate delivery")

    assert second.findings == []
    assert second.notifications == []


def test_event_for_an_ami_that_vanished_archives_without_failing(client, replayer):
    ec2 = client("ec2")
    image = register(ec2, "short-lived")
    replayer.replay(ami_available(image), "available")
    ec2.deregister_image(ImageId=image)

    late = replayer.replay(ami_available(image), "late delivery of available")

    assert [i.failed_records for i in late.invocations] == [0]
    assert {f["RecordState"] for f in late.findings} == {"ARCHIVED"}


def test_documented_sample_for_an_unknown_ami_is_handled(replayer):
    from provenance_guard_cli.routes import PROJECT_ROOT

    event = json.loads((PROJECT_ROOT / "tests/fixtures/events/ec2-ami-state-change-available.json").read_text())
    event["account"] = "123456789012"

    result = replayer.replay(event, "documented sample")

    assert [(i.function, i.failed_records) for i in result.invocations] == [("ami_events", 0)]
    assert result.findings == []


def test_malformed_event_is_skipped_not_failed(replayer):
    event = ami_available("ami-0123456789abcdef0")
    del event["detail"]["ImageId"]

    result = replayer.replay(event, "malformed")

    assert [i.failed_records for i in result.invocations] == [0]
    assert result.findings == []


def test_security_hub_findings_never_reach_a_function(replayer):
    from provenance_guard_cli.routes import PROJECT_ROOT

    event = json.loads((PROJECT_ROOT / "tests/fixtures/events/securityhub-findings-imported.json").read_text())

    assert replayer.replay(event, "our own finding").invocations == []


def test_throttled_security_hub_is_retried_and_nothing_is_lost(client, emulator, replayer):
    image = register(client("ec2"), "throttled-image")
    emulator.inject_faults("securityhub", "BatchImportFindings", "ThrottlingException", count=2)

    result = replayer.replay(ami_available(image), "throttled")

    assert [i.failed_records for i in result.invocations] == [0]
    assert {f["Compliance"]["SecurityControlId"] for f in result.findings} == ALL_AMI_CONTROLS


def test_persistent_security_hub_failure_fails_the_record_for_sqs_to_retry(client, emulator, replayer, monkeypatch):
    monkeypatch.setenv("PROVENANCE_GUARD_AWS_MAX_ATTEMPTS", "2")  # keep the client's backoff short
    image = register(client("ec2"), "unlucky-image")
    emulator.inject_faults("securityhub", "BatchImportFindings", "InternalException", count=50)

    failed = replayer.replay(ami_available(image), "Security Hub down")
    assert [i.failed_records for i in failed.invocations] == [1]
    assert failed.findings == []

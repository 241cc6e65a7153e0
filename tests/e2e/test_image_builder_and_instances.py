"""The remaining AMI-family triggers end to end: Image Builder image AVAILABLE, RunInstances and
instance state changes (pending -> evaluate, terminated -> archive)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from provenance_guard_cli.sample_account import (
    REGION,
    STIG_COMPONENT,
    UNTRUSTED_ACCOUNT,
    build_image_with_pipeline,
    instance_state,
    run_instances,
    sample_event,
)

pytestmark = pytest.mark.e2e
UPDATE_COMPONENT = "arn:aws:imagebuilder:us-east-1:aws:component/update-linux/1.0.2/1"


def build_image(imagebuilder: Any, name: str, components: list[str], regions: list[str]) -> str:
    return build_image_with_pipeline(imagebuilder, name, components, regions)


def image_available(image_arn: str) -> dict[str, Any]:
    return sample_event("imagebuilder-image-state-change-available.json", resources=[image_arn])


def controls(findings: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(f["Region"], f["Compliance"]["SecurityControlId"]): f for f in findings}


def test_image_builder_image_with_a_stig_component_passes_in_every_distributed_region(client, replayer):
    arn = build_image(client("imagebuilder"), "golden-al2023", [UPDATE_COMPONENT, STIG_COMPONENT], [REGION])

    result = replayer.replay(image_available(arn), "image available")

    assert [i.function for i in result.invocations] == ["ami_events"]
    by_control = controls(result.findings)
    assert by_control[(REGION, "PG.AMI.2")]["Compliance"]["Status"] == "PASSED"
    assert STIG_COMPONENT in by_control[(REGION, "PG.AMI.2")]["Compliance"]["StatusReasons"][0]["Description"]
    assert by_control[(REGION, "PG.AMI.1")]["Compliance"]["Status"] == "PASSED"
    pipeline = by_control[(REGION, "PG.AMI.1")]["ProductFields"]["provenance-guard/Evidence/ImageBuilderPipeline"]
    assert pipeline.endswith(":image-pipeline/golden-al2023")


def test_image_builder_image_without_a_hardening_component_fails_pg_ami_2(client, replayer):
    arn = build_image(client("imagebuilder"), "quick-build", [UPDATE_COMPONENT], [REGION])

    result = replayer.replay(image_available(arn), "image available")

    finding = controls(result.findings)[(REGION, "PG.AMI.2")]
    assert finding["Compliance"]["Status"] == "FAILED"
    assert finding["Compliance"]["StatusReasons"][0]["ReasonCode"] == "NO_HARDENING_COMPONENT"


def test_image_builder_event_for_an_image_that_vanished_changes_nothing(replayer):
    arn = "arn:aws:imagebuilder:us-east-1:123456789012:image/gone/1.0.0/1"

    result = replayer.replay(image_available(arn), "unknown image")

    assert [i.failed_records for i in result.invocations] == [0]
    assert result.findings == []


def test_instance_launched_from_an_untrusted_ami_fails_then_is_archived_on_termination(client, replayer):
    ec2 = client("ec2")
    image = ec2.register_image(
        Name="community-image",
        TagSpecifications=[
            {"ResourceType": "image", "Tags": [{"Key": "emulator:owner-id", "Value": UNTRUSTED_ACCOUNT}]}
        ],
    )["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]

    launched = replayer.replay(run_instances(instance, image), "RunInstances")
    assert [i.function for i in launched.invocations] == ["instance_events"]
    [finding] = launched.findings
    assert finding["Compliance"]["SecurityControlId"] == "PG.EC2.1"
    assert finding["Compliance"]["Status"] == "FAILED"
    assert finding["Resources"][0] == {
        "Type": "AwsEc2Instance",
        "Id": f"arn:aws:ec2:{REGION}:123456789012:instance/{instance}",
        "Partition": "aws",
        "Region": REGION,
        "Details": finding["Resources"][0]["Details"],
    }
    assert finding["Resources"][0]["Details"]["AwsEc2Instance"]["ImageId"] == image
    assert [n["attributes"]["control"] for n in launched.notifications] == ["PG.EC2.1"]

    pending = replayer.replay(instance_state(instance, "pending"), "pending")
    assert pending.findings == []  # same result: not re-imported, not re-notified

    ec2.terminate_instances(InstanceIds=[instance])
    terminated = replayer.replay(instance_state(instance, "terminated"), "terminated")
    assert [f["RecordState"] for f in terminated.findings] == ["ARCHIVED"]


def test_instance_from_a_golden_ami_passes(client, replayer):
    arn = build_image(client("imagebuilder"), "golden-web", [STIG_COMPONENT], [REGION])
    image = client("imagebuilder").get_image(imageBuildVersionArn=arn)["image"]["outputResources"]["amis"][0]["image"]
    client("ec2").enable_image_deprecation(ImageId=image, DeprecateAt=datetime.now(UTC) + timedelta(days=30))
    instance = client("ec2").run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]

    [finding] = replayer.replay(instance_state(instance, "pending"), "pending").findings

    assert finding["Compliance"]["SecurityControlId"] == "PG.EC2.1"
    assert finding["Compliance"]["Status"] == "PASSED", finding["Compliance"]["StatusReasons"]


def test_instance_whose_ami_was_deregistered_fails_as_unknown_provenance(client, replayer):
    ec2 = client("ec2")
    image = ec2.register_image(Name="short-lived-image")["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    ec2.deregister_image(ImageId=image)

    [finding] = replayer.replay(run_instances(instance, image), "RunInstances").findings

    assert finding["Compliance"]["Status"] == "FAILED"
    assert finding["Compliance"]["StatusReasons"][0]["ReasonCode"] == "AMI_NOT_FOUND"


def test_event_for_an_instance_that_no_longer_exists_does_not_fail(replayer):
    result = replayer.replay(instance_state("i-0123456789abcdef0", "pending"), "unknown instance")

    assert [i.failed_records for i in result.invocations] == [0]
    assert result.findings == []

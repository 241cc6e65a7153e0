"""collect/ami.py: reading AMIs from EC2 (moto) into snapshots, with only declared permissions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.ami import (
    AMI,
    IMAGE_BUILDER_ARN_TAG,
    AmiCollector,
    BlockDevice,
    LaunchPermission,
    snapshot_from_image,
)
from provenance_guard.controls import registry
from tests.unit.support import ACCOUNT, OTHER_ACCOUNT, REGION, ami_ref

OU = "arn:aws:organizations::111122223333:ou/o-a1b2c3d4e5/ou-ab12-cdef3456"
IMAGE_BUILDER_IMAGE = "arn:aws:imagebuilder:us-east-1:111122223333:image/golden-al2023/1.0.0/1"


class CallRecorder:
    """Records every API operation made by clients of a session (a botocore `before-call` handler,
    inherited by each client the session creates afterwards; it changes nothing)."""

    def __init__(self, session: boto3.session.Session) -> None:
        self.operations: list[str] = []
        session.events.register("before-call", self._record)

    def _record(self, model: Any, **_: Any) -> None:
        prefix = model.service_model.signing_name
        self.operations.append(f"{prefix}:{model.name}")


@pytest.fixture
def session(aws: None) -> boto3.session.Session:
    return boto3.session.Session()


@pytest.fixture
def recorder(session: boto3.session.Session) -> CallRecorder:
    return CallRecorder(session)


@pytest.fixture
def clients(session: boto3.session.Session, recorder: CallRecorder) -> ClientFactory:
    return ClientFactory(session)


@pytest.fixture
def collector(clients: ClientFactory) -> AmiCollector:
    return AmiCollector(clients)


def test_reads_an_owned_ami_with_its_launch_permissions(collector: AmiCollector, make_ami: Any, ec2: Any) -> None:
    image_id = make_ami(
        "golden-al2023",
        tags={"team": "platform"},
        launch_permissions=[{"UserId": OTHER_ACCOUNT}, {"OrganizationalUnitArn": OU}],
    )
    snapshot = collector.collect(ami_ref(image_id))
    assert snapshot is not None
    assert snapshot.ref == ami_ref(image_id)
    assert snapshot.name == "golden-al2023"
    assert snapshot.owner_id == ACCOUNT
    assert snapshot.owner_alias is None
    assert snapshot.state == "available"
    assert snapshot.public is False
    assert snapshot.tags == {"team": "platform"}
    assert snapshot.image_builder_image_arn is None
    assert set(snapshot.launch_permissions or ()) == {
        LaunchPermission("account", OTHER_ACCOUNT),
        LaunchPermission("ou", OU),
    }
    assert snapshot.creation_date is not None
    assert snapshot.creation_date.tzinfo is not None
    [image] = ec2.describe_images(ImageIds=[image_id])["Images"]
    assert snapshot.block_devices == tuple(
        BlockDevice(m["DeviceName"], m["Ebs"].get("SnapshotId"), bool(m["Ebs"].get("Encrypted")))
        for m in image["BlockDeviceMappings"]
    )


def test_a_public_ami_reads_as_public(collector: AmiCollector, make_ami: Any) -> None:
    image_id = make_ami(launch_permissions=[{"Group": "all"}])
    snapshot = collector.collect(ami_ref(image_id))
    assert snapshot is not None
    assert snapshot.public is True
    assert snapshot.launch_permissions == (LaunchPermission("group", "all"),)


def test_an_unshared_ami_has_no_launch_permissions(collector: AmiCollector, make_ami: Any) -> None:
    snapshot = collector.collect(ami_ref(make_ami()))
    assert snapshot is not None
    assert snapshot.launch_permissions == ()


def test_a_deregistered_ami_is_gone(collector: AmiCollector, make_ami: Any, ec2: Any) -> None:
    image_id = make_ami()
    ec2.deregister_image(ImageId=image_id)
    assert collector.collect(ami_ref(image_id)) is None


@pytest.mark.parametrize("image_id", ["ami-0000000000000000f", "not-an-ami-id"])
def test_an_ami_that_never_existed_is_gone(collector: AmiCollector, image_id: str) -> None:
    assert collector.collect(ami_ref(image_id)) is None


def test_a_disabled_ami_is_read_but_not_judged(collector: AmiCollector, make_ami: Any, ec2: Any) -> None:
    """A disabled AMI cannot be launched: its own findings are archived (collect -> None), while an
    instance launched from it still sees it (read), so PG.EC2.1 can say it is disabled."""
    image_id = make_ami()
    ec2.disable_image(ImageId=image_id)
    snapshot = collector.read(ami_ref(image_id))
    assert snapshot is not None
    assert snapshot.state == "disabled"
    assert collector.collect(ami_ref(image_id)) is None


def test_calls_only_operations_the_ami_controls_declare(
    recorder: CallRecorder, collector: AmiCollector, make_ami: Any
) -> None:
    collector.collect(ami_ref(make_ami(launch_permissions=[{"UserId": OTHER_ACCOUNT}])))
    collector.collect(ami_ref("ami-0000000000000000f"))
    assert recorder.operations == ["ec2:DescribeImages", "ec2:DescribeImageAttribute", "ec2:DescribeImages"]
    assert set(recorder.operations) <= set(registry.permissions(frozenset({AMI})))


def test_an_ami_of_another_owner_is_read_without_its_launch_permissions(monkeypatch: Any) -> None:
    # moto's Amazon-owned public AMIs (ImageOwnerAlias "amazon") are loaded only on request.
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "true")
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        amazon_image = ec2.describe_images(Owners=["amazon"], MaxResults=5)["Images"][0]
        session = boto3.session.Session()
        recorder = CallRecorder(session)
        snapshot = AmiCollector(ClientFactory(session)).collect(ami_ref(amazon_image["ImageId"]))
    assert snapshot is not None
    assert snapshot.owner_id == amazon_image["OwnerId"] != ACCOUNT
    assert snapshot.owner_alias == "amazon"
    assert snapshot.public is True
    assert snapshot.launch_permissions is None
    assert recorder.operations == ["ec2:DescribeImages"]


def test_snapshot_from_a_documented_describe_images_entry() -> None:
    # Shape of one `Images[]` entry as documented in the EC2 API reference (DescribeImages, Image).
    image = {
        "ImageId": "ami-0abcdef1234567890",
        "Name": "al2023-ami-2023.6.20250107.0-kernel-6.1-x86_64",
        "OwnerId": "137112412989",
        "ImageOwnerAlias": "amazon",
        "State": "available",
        "Public": True,
        "CreationDate": "2025-01-07T20:33:12.000Z",
        "DeprecationTime": "2025-04-07T20:33:00.000Z",
        "ImdsSupport": "v2.0",
        "BlockDeviceMappings": [
            {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": "snap-0123456789abcdef0", "Encrypted": True}},
            {"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"},
        ],
        "Tags": [{"Key": "Name", "Value": "al2023"}, {"Key": IMAGE_BUILDER_ARN_TAG, "Value": IMAGE_BUILDER_IMAGE}],
    }
    ref = ami_ref("ami-0abcdef1234567890")
    snapshot = snapshot_from_image(ref, image, None)
    assert snapshot.creation_date == datetime(2025, 1, 7, 20, 33, 12, tzinfo=UTC)
    assert snapshot.deprecation_time == datetime(2025, 4, 7, 20, 33, tzinfo=UTC)
    assert snapshot.imds_support == "v2.0"
    assert snapshot.block_devices == (
        BlockDevice("/dev/xvda", "snap-0123456789abcdef0", True),
        BlockDevice("/dev/sdb", None, None),
    )
    assert snapshot.tags == {"Name": "al2023", IMAGE_BUILDER_ARN_TAG: IMAGE_BUILDER_IMAGE}
    assert snapshot.image_builder_image_arn == IMAGE_BUILDER_IMAGE
    assert snapshot.launch_permissions is None
    assert snapshot.source_pipeline_arn is None
    details = snapshot.asff_details()
    assert details == {
        "Other": {
            "ImageId": "ami-0abcdef1234567890",
            "Name": "al2023-ami-2023.6.20250107.0-kernel-6.1-x86_64",
            "OwnerId": "137112412989",
            "State": "available",
            "CreationDate": "2025-01-07T20:33:12+00:00",
            "DeprecationTime": "2025-04-07T20:33:00+00:00",
            "ImdsSupport": "v2.0",
        }
    }


def test_asff_details_fit_the_other_map_limits() -> None:
    image = {"ImageId": "ami-1", "Name": "n" * 5000, "OwnerId": ACCOUNT, "State": "available"}
    other = snapshot_from_image(ami_ref("ami-1"), image, ()).asff_details()["Other"]
    assert len(other) <= 50
    assert all(isinstance(v, str) and 0 < len(v) <= 1000 for v in other.values())
    assert all(len(k) < 128 for k in other)
    assert other["CreationDate"] == other["DeprecationTime"] == other["ImdsSupport"] == "-"

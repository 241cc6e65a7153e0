"""Builders for the EC2 emulator tests: AMIs registered with escape-hatch tags, AMIs made from them by
CreateImage (through an instance) and CopyImage, and clients of another account. Plain functions."""

from __future__ import annotations

from typing import Any

from tests.unit.lambda_support import foreign_client

ACCOUNT = "123456789012"
REGION = "us-east-1"
OTHER_REGION = "eu-west-1"
AMAZON = "137112412989"
COMMUNITY = "999988887777"


def register(ec2: Any, name: str = "pg-image", tags: dict[str, str] | None = None, **kwargs: Any) -> str:
    if tags:
        kwargs["TagSpecifications"] = [
            {"ResourceType": "image", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
        ]
    image_id: str = ec2.register_image(Name=name, **kwargs)["ImageId"]
    return image_id


def amazon_base(ec2: Any, name: str = "al2023-ami-2023.6") -> str:
    """An AMI Amazon owns (alias ``amazon``), as moto's default AMIs are."""
    return register(ec2, name, tags={"emulator:owner-id": AMAZON, "emulator:owner-alias": "amazon"})


def community_image(ec2: Any, name: str = "community-hardened") -> str:
    """An AMI of a third-party account with no owner alias."""
    return register(ec2, name, tags={"emulator:owner-id": COMMUNITY})


def create_image_from(ec2: Any, image_id: str, name: str) -> str:
    """CreateImage from an instance launched from ``image_id``."""
    instance_id = ec2.run_instances(ImageId=image_id, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    created: str = ec2.create_image(InstanceId=instance_id, Name=name)["ImageId"]
    return created


def copy(ec2: Any, image_id: str, name: str, source_region: str = REGION) -> str:
    copied: str = ec2.copy_image(SourceImageId=image_id, SourceRegion=source_region, Name=name)["ImageId"]
    return copied


def describe(ec2: Any, image_id: str) -> dict[str, Any]:
    images = ec2.describe_images(ImageIds=[image_id])["Images"]
    assert len(images) == 1, images
    image: dict[str, Any] = images[0]
    return image


def ancestry_ids(ec2: Any, image_id: str) -> list[str]:
    return [entry["ImageId"] for entry in ec2.get_image_ancestry(ImageId=image_id)["ImageAncestryEntries"]]


def other_account_client(service: str, account: str = "444455556666") -> Any:
    """A client acting as another account in us-east-1 (moto keeps accounts apart by the credentials)."""
    return foreign_client(service, account)


def ami_of(image_id: str, account: str = ACCOUNT, region: str = REGION) -> Any:
    """moto's record of the AMI, for the few facts no API sets (product codes, lineage of Amazon AMIs)."""
    from moto.ec2.models import ec2_backends

    return ec2_backends[account][region].amis[image_id]

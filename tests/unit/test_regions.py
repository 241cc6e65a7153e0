"""regions.py: the partitions and Regions botocore knows, and the scope check every event passes."""

from __future__ import annotations

import boto3
import pytest

from provenance_guard.regions import check_scope, partition_of, partitions
from provenance_guard.work import EventError

ACCOUNT = "123456789012"


def test_the_partitions_are_botocores() -> None:
    known = partitions()
    assert {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"} <= set(known)
    assert {"us-east-1", "eu-west-1", "ap-southeast-7", "mx-central-1"} <= known["aws"]
    assert known["aws-cn"] == {"cn-north-1", "cn-northwest-1"}
    assert not any(region.endswith("-global") for regions in known.values() for region in regions)


@pytest.mark.parametrize(("partition", "service"), [("aws", "ec2"), ("aws-cn", "ecr"), ("aws-us-gov", "securityhub")])
def test_every_region_boto3_offers_a_service_in_is_known(partition: str, service: str) -> None:
    offered = boto3.session.Session().get_available_regions(service, partition_name=partition)
    assert offered
    assert set(offered) <= partitions()[partition]


@pytest.mark.parametrize(
    ("region", "partition"),
    [("us-east-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov"), ("eusc-de-east-1", "aws-eusc")],
)
def test_a_known_region_and_its_partition(region: str, partition: str) -> None:
    assert partition_of(region) == partition
    assert check_scope(ACCOUNT, region) == (ACCOUNT, region, partition)
    assert check_scope(ACCOUNT, region, partition) == (ACCOUNT, region, partition)


@pytest.mark.parametrize(
    ("account", "region", "partition", "message"),
    [
        (ACCOUNT, "xx-nowhere-9", None, "the event's region 'xx-nowhere-9' is not a Region of any AWS partition"),
        (ACCOUNT, "", None, "the event's region '' is not a Region of any AWS partition"),
        (ACCOUNT, 1, None, "the event's region 1 is not a string"),
        (ACCOUNT, None, None, "the event's region None is not a string"),
        (ACCOUNT, "us-east-1 ", None, "the event's region 'us-east-1 ' is not a Region of any AWS partition"),
        (ACCOUNT, "US-EAST-1", None, "the event's region 'US-EAST-1' is not a Region of any AWS partition"),
        (ACCOUNT, "aws-global", None, "the event's region 'aws-global' is not a Region of any AWS partition"),
        (ACCOUNT, "\u0443s-east-1", None, "the event's region '\u0443s-east-1' is not a Region of any AWS partition"),
        (ACCOUNT, "a" * 10_000, None, f"the event's region '{'a' * 76}... is not a Region of any AWS partition"),
        ("12345678901", "us-east-1", None, "the event's account '12345678901' is not a 12-digit account id"),
        ("\u0661" * 12, "us-east-1", None, f"the event's account '{chr(0x661) * 12}' is not a 12-digit account id"),
        (123456789012, "us-east-1", None, "the event's account 123456789012 is not a 12-digit account id"),
        (f"{ACCOUNT}\n", "us-east-1", None, "the event's account '123456789012\\n' is not a 12-digit account id"),
        (ACCOUNT, "us-east-1", "aws-xx", "the event's partition 'aws-xx' is not an AWS partition"),
        (ACCOUNT, "us-east-1", 0, "the event's partition 0 is not an AWS partition"),
        (ACCOUNT, "us-east-1", "aws-cn", "the event's region us-east-1 is in partition aws, not aws-cn"),
    ],
)
def test_scope_errors(account: object, region: object, partition: object, message: str) -> None:
    with pytest.raises(EventError) as raised:
        check_scope(account, region, partition)
    assert str(raised.value) == message


def test_whose_scope_the_reason_names() -> None:
    with pytest.raises(EventError, match=r"^the page's region 'xx-nowhere-9' is not"):
        check_scope(ACCOUNT, "xx-nowhere-9", "aws", whose="the page's")

"""AMI ancestry: what CreateImage and CopyImage record, GetImageAncestry's chain and where it stops."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError

from provenance_guard_cli.emulator import ec2_image_lineage as lineage
from tests.unit.emulator.ec2_support import (
    ACCOUNT,
    OTHER_REGION,
    REGION,
    amazon_base,
    ami_of,
    ancestry_ids,
    community_image,
    copy,
    create_image_from,
    describe,
    other_account_client,
    register,
)
from tests.unit.emulator.model_shapes import input_members, shape_members
from tests.unit.support import error_code


def test_a_golden_image_traces_back_to_its_amazon_base(ec2: Any) -> None:
    base = amazon_base(ec2)
    golden = create_image_from(ec2, base, "golden")
    released = copy(ec2, golden, "golden-release")

    entries = ec2.get_image_ancestry(ImageId=released)["ImageAncestryEntries"]

    assert [entry["ImageId"] for entry in entries] == [released, golden, base]
    assert [(entry.get("SourceImageId"), entry.get("SourceImageRegion")) for entry in entries] == [
        (golden, REGION),
        (base, REGION),
        (None, None),
    ]
    assert entries[-1]["ImageOwnerAlias"] == "amazon"
    assert "ImageOwnerAlias" not in entries[0]
    assert all(isinstance(entry["CreationDate"], datetime) for entry in entries)
    assert (describe(ec2, released)["SourceImageId"], describe(ec2, released)["SourceImageRegion"]) == (golden, REGION)
    assert (describe(ec2, golden)["SourceImageId"], describe(ec2, golden)["SourceImageRegion"]) == (base, REGION)


def test_an_image_with_no_recorded_source_is_its_own_ancestry(ec2: Any) -> None:
    registered = register(ec2)

    assert ancestry_ids(ec2, registered) == [registered]
    assert "SourceImageId" not in describe(ec2, registered)
    assert "SourceImageRegion" not in describe(ec2, registered)


def test_a_cross_region_copy_names_the_source_region(ec2: Any, boto_session: boto3.Session) -> None:
    golden = create_image_from(ec2, amazon_base(ec2), "golden")
    europe = boto_session.client("ec2", region_name=OTHER_REGION)

    copied = copy(europe, golden, "golden-eu", source_region=REGION)

    image = describe(europe, copied)
    assert (image["SourceImageId"], image["SourceImageRegion"]) == (golden, REGION)
    assert ancestry_ids(europe, copied)[:2] == [copied, golden]
    assert len(ancestry_ids(europe, copied)) == 3
    with pytest.raises(ClientError) as excinfo:
        ec2.describe_images(ImageIds=[copied])
    assert error_code(excinfo) == "InvalidAMIID.NotFound", "the copy lives in the other Region only"


def test_the_chain_ends_after_fifty_entries(ec2: Any) -> None:
    chain = [register(ec2, "root")]
    for generation in range(55):
        chain.append(copy(ec2, chain[-1], f"generation-{generation}"))

    ids = ancestry_ids(ec2, chain[-1])

    assert len(ids) == lineage.MAX_ANCESTRY_ENTRIES
    assert ids == list(reversed(chain))[:50]


def test_the_chain_stops_at_a_verified_provider_image(ec2: Any) -> None:
    origin = register(ec2, "vendor-build")
    marketplace = copy(ec2, origin, "vendor-product")
    ami_of(marketplace).owner_alias = "aws-marketplace"
    derived = create_image_from(ec2, marketplace, "derived")

    entries = ec2.get_image_ancestry(ImageId=derived)["ImageAncestryEntries"]

    assert [entry["ImageId"] for entry in entries] == [derived, marketplace]
    assert entries[-1]["SourceImageId"] == origin, "the root's entry still names its source"
    assert entries[-1]["ImageOwnerAlias"] == "aws-marketplace"


def test_a_deregistered_ancestor_keeps_its_place_in_the_chain(ec2: Any) -> None:
    base = amazon_base(ec2)
    middle = create_image_from(ec2, base, "middle")
    leaf = copy(ec2, middle, "leaf")

    ec2.deregister_image(ImageId=middle)

    assert ancestry_ids(ec2, leaf) == [leaf, middle, base]
    assert describe(ec2, leaf)["SourceImageId"] == middle
    assert ec2.describe_images(ImageIds=[middle])["Images"] == []
    with pytest.raises(ClientError) as excinfo:
        ec2.get_image_ancestry(ImageId=middle)
    assert error_code(excinfo) == "InvalidAMIID.Unavailable"


@pytest.mark.parametrize(
    ("image_id", "code"), [("ami-0000000000000dead", "InvalidAMIID.NotFound"), ("img-1", "InvalidAMIID.Malformed")]
)
def test_unknown_images_have_no_ancestry(ec2: Any, image_id: str, code: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        ec2.get_image_ancestry(ImageId=image_id)
    assert error_code(excinfo) == code


def test_a_community_image_copied_in_is_its_copys_parent(ec2: Any) -> None:
    community = community_image(ec2)
    copied = copy(ec2, community, "copied-from-community")

    entries = ec2.get_image_ancestry(ImageId=copied)["ImageAncestryEntries"]

    assert [entry["ImageId"] for entry in entries] == [copied, community]
    assert describe(ec2, copied)["OwnerId"] == ACCOUNT
    assert describe(ec2, community)["OwnerId"] != ACCOUNT


def test_copying_an_image_another_account_shares(ec2: Any) -> None:
    partner = other_account_client("ec2")
    shared = partner.register_image(Name="partner-base")["ImageId"]
    private = partner.register_image(Name="partner-private")["ImageId"]
    partner.modify_image_attribute(ImageId=shared, LaunchPermission={"Add": [{"UserId": ACCOUNT}]})

    copied = copy(ec2, shared, "partner-copy")

    assert ancestry_ids(ec2, copied) == [copied, shared]
    assert describe(ec2, copied)["OwnerId"] == ACCOUNT
    with pytest.raises(ClientError) as excinfo:
        copy(ec2, private, "not-shared")
    assert error_code(excinfo) == "InvalidAMIID.NotFound"


@pytest.mark.parametrize(
    ("source_id", "source_region", "code"),
    [
        ("ami-0000000000000dead", REGION, "InvalidAMIID.NotFound"),
        ("bad-id", REGION, "InvalidAMIID.Malformed"),
        ("ami-0000000000000dead", "mars-north-1", "InvalidParameterValue"),
    ],
)
def test_copy_image_needs_a_source_it_can_find(ec2: Any, source_id: str, source_region: str, code: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        copy(ec2, source_id, "nothing", source_region=source_region)
    assert error_code(excinfo) == code


def test_source_filters(ec2: Any, boto_session: boto3.Session) -> None:
    base = register(ec2, "base")
    copied = copy(ec2, base, "copy")
    europe = boto_session.client("ec2", region_name=OTHER_REGION)
    far = copy(europe, copied, "far", source_region=REGION)

    by_source = ec2.describe_images(Filters=[{"Name": "source-image-id", "Values": [base]}])["Images"]
    in_europe = europe.describe_images(Filters=[{"Name": "source-image-region", "Values": ["us-*"]}])["Images"]

    assert [image["ImageId"] for image in by_source] == [copied]
    assert [image["ImageId"] for image in in_europe] == [far]


def test_lineage_is_forgotten_on_reset(ec2: Any) -> None:
    from moto.core.base_backend import BackendDict

    copied = copy(ec2, register(ec2), "copy")
    BackendDict.reset()

    with pytest.raises(ClientError):
        ec2.get_image_ancestry(ImageId=copied)


def test_creation_dates_come_from_the_images(ec2: Any) -> None:
    base = register(ec2, tags={"emulator:creation-date": "2024-03-01T10:00:00Z"})
    copied = copy(ec2, base, "copy")

    entries = ec2.get_image_ancestry(ImageId=copied)["ImageAncestryEntries"]

    assert entries[1]["CreationDate"] == datetime(2024, 3, 1, 10, tzinfo=UTC)


def test_operations_match_the_botocore_model() -> None:
    model = botocore.session.get_session().get_service_model("ec2")
    assert input_members(model, "GetImageAncestry") == {"ImageId", "DryRun"}
    assert {"SourceImageId", "SourceRegion", "Name", "Description"} <= input_members(model, "CopyImage")
    assert set(shape_members(model, "GetImageAncestryResult")) == {"ImageAncestryEntries"}
    assert set(shape_members(model, "ImageAncestryEntry")) == set(
        lineage.AncestryEntry("ami-1", "amazon", datetime.now(UTC), "ami-0", REGION).as_shape()
    )
    assert {"SourceImageId", "SourceImageRegion"} <= set(shape_members(model, "Image"))

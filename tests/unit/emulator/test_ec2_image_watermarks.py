"""AMI watermarks: attach and detach, the documented limits, inheritance by derived AMIs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from provenance_guard_cli.emulator import ec2_image_watermarks as watermarks
from tests.unit.emulator.ec2_support import (
    ACCOUNT,
    OTHER_REGION,
    REGION,
    community_image,
    copy,
    create_image_from,
    describe,
    other_account_client,
    register,
)
from tests.unit.emulator.model_shapes import input_members, shape_members
from tests.unit.support import error_code


def keys(ec2: Any, image_id: str) -> list[str]:
    return [mark["WatermarkKey"] for mark in describe(ec2, image_id).get("ImageWatermarks", [])]


def test_attaching_a_watermark_names_the_account_and_the_image(ec2: Any) -> None:
    base = register(ec2, tags={"emulator:creation-date": "2025-02-03T04:05:06Z"})

    key = ec2.attach_image_watermark(ImageId=base, WatermarkName="prod-baseline (v2) [cis]")["WatermarkKey"]

    assert key == f"{ACCOUNT}:prod-baseline (v2) [cis]"
    (mark,) = describe(ec2, base)["ImageWatermarks"]
    assert mark["WatermarkKey"] == key
    assert (mark["SourceImageId"], mark["SourceImageRegion"]) == (base, REGION)
    assert mark["SourceImageCreationTime"].isoformat().startswith("2025-02-03T04:05:06")
    assert isinstance(mark["WatermarkCreationTime"], datetime)
    assert "ImageWatermarks" not in describe(ec2, register(ec2, "plain"))


def test_derived_images_inherit_watermarks(ec2: Any, boto_session: Any) -> None:
    base = register(ec2, "base")
    key = ec2.attach_image_watermark(ImageId=base, WatermarkName="golden")["WatermarkKey"]
    built = create_image_from(ec2, base, "built")
    copied = copy(ec2, built, "copied")
    europe = boto_session.client("ec2", region_name=OTHER_REGION)
    far = copy(europe, copied, "far", source_region=REGION)

    for client, image_id in ((ec2, built), (ec2, copied), (europe, far)):
        (mark,) = describe(client, image_id)["ImageWatermarks"]
        assert (mark["WatermarkKey"], mark["SourceImageId"], mark["SourceImageRegion"]) == (key, base, REGION)


def test_detaching_leaves_derived_images_alone_and_is_idempotent(ec2: Any) -> None:
    base = register(ec2, "base")
    key = ec2.attach_image_watermark(ImageId=base, WatermarkName="golden")["WatermarkKey"]
    copied = copy(ec2, base, "copied")

    assert ec2.detach_image_watermark(ImageId=base, WatermarkKey=key)["Return"] is True
    assert ec2.detach_image_watermark(ImageId=base, WatermarkKey=key)["Return"] is True

    assert keys(ec2, base) == []
    assert keys(ec2, copied) == [key]
    ec2.detach_image_watermark(ImageId=copied, WatermarkKey=key)
    assert keys(ec2, copied) == []


def test_at_most_five_watermarks_and_no_duplicates(ec2: Any) -> None:
    base = register(ec2)
    for index in range(watermarks.MAX_WATERMARKS):
        ec2.attach_image_watermark(ImageId=base, WatermarkName=f"mark-{index}")

    assert ec2.attach_image_watermark(ImageId=base, WatermarkName="mark-0")["WatermarkKey"] == f"{ACCOUNT}:mark-0"
    with pytest.raises(ClientError) as excinfo:
        ec2.attach_image_watermark(ImageId=base, WatermarkName="mark-5")
    assert error_code(excinfo) == "ResourceLimitExceeded"
    assert len(keys(ec2, base)) == watermarks.MAX_WATERMARKS


@pytest.mark.parametrize("name", ["ab", "x" * 129, "semi;colon", "emoji-\u2713"])
def test_watermark_names_follow_the_documented_constraints(aws: None, boto_session: Any, name: str) -> None:
    unchecked = boto_session.client("ec2", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as excinfo:
        unchecked.attach_image_watermark(ImageId=register(unchecked), WatermarkName=name)
    assert error_code(excinfo) == "InvalidParameterValue"


def test_public_images_take_no_watermark(ec2: Any) -> None:
    public = register(ec2)
    ec2.modify_image_attribute(ImageId=public, LaunchPermission={"Add": [{"Group": "all"}]})

    with pytest.raises(ClientError) as excinfo:
        ec2.attach_image_watermark(ImageId=public, WatermarkName="golden")
    assert error_code(excinfo) == "OperationNotPermitted"


def test_a_watermarked_image_cannot_be_made_public(ec2: Any) -> None:
    base = register(ec2)
    ec2.attach_image_watermark(ImageId=base, WatermarkName="golden")

    for request in (
        {"LaunchPermission": {"Add": [{"Group": "all"}]}},
        {"Attribute": "launchPermission", "OperationType": "add", "UserGroups": ["all"]},
    ):
        with pytest.raises(ClientError) as excinfo:
            ec2.modify_image_attribute(ImageId=base, **request)
        assert error_code(excinfo) == "OperationNotPermitted"
    ec2.modify_image_attribute(ImageId=base, LaunchPermission={"Add": [{"UserId": "111122223333"}]})
    assert describe(ec2, base)["Public"] is False


def test_only_the_owner_attaches_or_detaches(ec2: Any) -> None:
    foreign = community_image(ec2)
    for call in (
        lambda: ec2.attach_image_watermark(ImageId=foreign, WatermarkName="mine"),
        lambda: ec2.detach_image_watermark(ImageId=foreign, WatermarkKey=f"{ACCOUNT}:mine"),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_code(excinfo) == "AuthFailure"


def test_a_shared_image_carries_its_owners_watermark_into_the_copy(ec2: Any) -> None:
    partner = other_account_client("ec2", "444455556666")
    shared = partner.register_image(Name="partner-base")["ImageId"]
    key = partner.attach_image_watermark(ImageId=shared, WatermarkName="partner-approved")["WatermarkKey"]
    partner.modify_image_attribute(ImageId=shared, LaunchPermission={"Add": [{"UserId": ACCOUNT}]})

    copied = copy(ec2, shared, "partner-copy")

    assert key == "444455556666:partner-approved"
    assert keys(ec2, copied) == [key]


def test_unknown_images_are_not_found(ec2: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        ec2.attach_image_watermark(ImageId="ami-0000000000000dead", WatermarkName="golden")
    assert error_code(excinfo) == "InvalidAMIID.NotFound"


def test_images_are_filtered_by_watermark_key(ec2: Any) -> None:
    marked = register(ec2, "marked")
    other = register(ec2, "other")
    register(ec2, "plain")
    ec2.attach_image_watermark(ImageId=marked, WatermarkName="golden")
    ec2.attach_image_watermark(ImageId=marked, WatermarkName="extra")
    ec2.attach_image_watermark(ImageId=other, WatermarkName="silver")

    def found(*values: str) -> set[str]:
        images = ec2.describe_images(Filters=[{"Name": "image-watermark-key", "Values": list(values)}])["Images"]
        return {image["ImageId"] for image in images}

    assert found(f"{ACCOUNT}:golden") == {marked}
    assert found(f"{ACCOUNT}:golden", f"{ACCOUNT}:silver") == {marked, other}
    assert found("*:silver") == {other}
    assert found("999999999999:*") == set()


def test_operations_match_the_botocore_model() -> None:
    model = botocore.session.get_session().get_service_model("ec2")
    assert input_members(model, "AttachImageWatermark") == {"ImageId", "WatermarkName", "DryRun"}
    assert input_members(model, "DetachImageWatermark") == {"ImageId", "WatermarkKey", "DryRun"}
    assert set(shape_members(model, "AttachImageWatermarkResult")) == {"WatermarkKey"}
    assert set(shape_members(model, "DetachImageWatermarkResult")) == {"Return"}
    mark = watermarks.Watermark("1:a", "ami-1", REGION, datetime.now(), datetime.now())
    assert set(shape_members(model, "ImageWatermark")) == set(mark.as_shape())
    assert "ImageWatermarks" in shape_members(model, "Image")
    name = model.shape_for("ImageWatermarkNameRequest")
    assert (name.metadata["min"], name.metadata["max"]) == (3, 128)

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from tests.unit.emulator.model_shapes import enum, input_members, shape_members
from tests.unit.support import error_code

ACCOUNT = "123456789012"
ORG_ARN = "arn:aws:organizations::111111111111:organization/o-abcdefghij"
OU_ARN = "arn:aws:organizations::111111111111:ou/o-abcdefghij/ou-ab12-abcdefgh"
KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def register(ec2: Any, name: str = "pg-test-image", tags: dict[str, str] | None = None, **kwargs: Any) -> str:
    if tags:
        kwargs["TagSpecifications"] = [
            {"ResourceType": "image", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
        ]
    image_id: str = ec2.register_image(Name=name, **kwargs)["ImageId"]
    return image_id


def describe(ec2: Any, image_id: str, **kwargs: Any) -> dict[str, Any]:
    images = ec2.describe_images(ImageIds=[image_id], **kwargs)["Images"]
    assert len(images) == 1
    image: dict[str, Any] = images[0]
    return image


def test_register_image_honours_parameters(ec2: Any) -> None:
    root_ebs = {
        "SnapshotId": "snap-0123456789abcdef0",
        "Encrypted": True,
        "KmsKeyId": KMS_KEY,
        "VolumeSize": 8,
        "VolumeType": "gp3",
    }
    image_id = register(
        ec2,
        tags={"Name": "hardened", "cis-level": "1"},
        Architecture="arm64",
        BootMode="uefi",
        EnaSupport=True,
        ImdsSupport="v2.0",
        RootDeviceName="/dev/xvda",
        TpmSupport="v2.0",
        VirtualizationType="hvm",
        BlockDeviceMappings=[
            {"DeviceName": "/dev/xvda", "Ebs": root_ebs},
            {"DeviceName": "/dev/sdb", "Ebs": {"VolumeSize": 20, "VolumeType": "gp2"}},
        ],
    )

    image = describe(ec2, image_id)

    assert image["ImdsSupport"] == "v2.0"
    assert image["Architecture"] == "arm64"
    assert image["BootMode"] == "uefi"
    assert image["EnaSupport"] is True
    assert image["TpmSupport"] == "v2.0"
    assert image["VirtualizationType"] == "hvm"
    assert image["RootDeviceName"] == "/dev/xvda"
    assert image["RootDeviceType"] == "ebs"
    assert image["State"] == "available"
    assert image["OwnerId"] == ACCOUNT
    assert image["Public"] is False
    assert "ImageOwnerAlias" not in image
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", image["CreationDate"])
    assert {t["Key"]: t["Value"] for t in image["Tags"]} == {"Name": "hardened", "cis-level": "1"}
    root, data = image["BlockDeviceMappings"]
    assert root["DeviceName"] == "/dev/xvda"
    assert root["Ebs"] == {**root_ebs, "DeleteOnTermination": True}
    assert data["Ebs"]["Encrypted"] is False


def test_register_image_defaults_follow_the_api_reference(ec2: Any) -> None:
    image = describe(ec2, register(ec2))

    assert image["Architecture"] == "i386"
    assert image["VirtualizationType"] == "paravirtual"
    assert "ImdsSupport" not in image
    assert "DeprecationTime" not in image
    assert "BootMode" not in image


def test_existing_snapshot_encryption_wins(ec2: Any) -> None:
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=10, Encrypted=True, KmsKeyId=KMS_KEY)
    snapshot_id = ec2.create_snapshot(VolumeId=volume["VolumeId"])["SnapshotId"]

    mapping = {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": snapshot_id}}
    image_id = register(ec2, RootDeviceName="/dev/xvda", BlockDeviceMappings=[mapping])

    ebs = describe(ec2, image_id)["BlockDeviceMappings"][0]["Ebs"]
    assert ebs["Encrypted"] is True
    assert ebs["KmsKeyId"] == KMS_KEY
    assert ebs["VolumeSize"] == 10


def test_instances_launch_from_registered_images(ec2: Any) -> None:
    image_id = register(ec2, Architecture="x86_64", ImdsSupport="v2.0")

    instance = ec2.run_instances(ImageId=image_id, MinCount=1, MaxCount=1)["Instances"][0]

    assert instance["ImageId"] == image_id
    assert instance["Architecture"] == "x86_64"


def test_install_is_idempotent() -> None:
    from moto.ec2.responses.amis import AmisResponse

    from provenance_guard_cli.emulator import install
    from provenance_guard_cli.emulator.patches import install as install_patches

    handler = AmisResponse.register_image
    install()
    install_patches()
    assert AmisResponse.register_image is handler


def test_tag_specifications_must_target_images(ec2: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        ec2.register_image(
            Name="pg-test-image",
            TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "a", "Value": "b"}]}],
        )
    assert error_code(excinfo) == "InvalidParameterValue"


def test_creation_date_escape_hatch_is_applied_and_hidden(ec2: Any) -> None:
    image_id = register(ec2, tags={"emulator:creation-date": "2020-01-02T03:04:05Z", "team": "platform"})

    image = describe(ec2, image_id)

    assert image["CreationDate"] == "2020-01-02T03:04:05.000Z"
    assert image["Tags"] == [{"Key": "team", "Value": "platform"}]
    tag_keys = {tag["Key"] for tag in ec2.describe_tags()["Tags"]}
    assert tag_keys == {"team"}


def test_owner_escape_hatches_simulate_third_party_and_amazon_images(ec2: Any) -> None:
    third_party = register(ec2, tags={"emulator:owner-id": "999988887777"})
    amazon = register(ec2, tags={"emulator:owner-id": "137112412989", "emulator:owner-alias": "amazon"})

    assert describe(ec2, third_party)["OwnerId"] == "999988887777"
    assert "ImageOwnerAlias" not in describe(ec2, third_party)
    assert describe(ec2, amazon)["ImageOwnerAlias"] == "amazon"
    assert [i["ImageId"] for i in ec2.describe_images(Owners=["amazon"])["Images"]] == [amazon]
    assert [i["ImageId"] for i in ec2.describe_images(Owners=["999988887777"])["Images"]] == [third_party]
    assert ec2.describe_images(Owners=["self"])["Images"] == []


@pytest.mark.parametrize(
    "tags",
    [
        {"emulator:creation-dat": "2020-01-01T00:00:00Z"},
        {"emulator:creation-date": "last tuesday"},
        {"emulator:owner-id": "12345"},
        {"emulator:owner-alias": "microsoft"},
    ],
)
def test_bad_escape_hatch_tags_are_rejected(ec2: Any, tags: dict[str, str]) -> None:
    with pytest.raises(ClientError) as excinfo:
        register(ec2, tags=tags)
    assert error_code(excinfo) == "InvalidParameterValue"
    assert ec2.describe_images(Owners=["self"])["Images"] == []


def test_deprecation_time_escape_hatch_allows_the_past(ec2: Any) -> None:
    own = register(ec2, tags={"emulator:deprecation-time": "2021-06-01T00:00:00Z"})
    foreign = register(
        ec2, tags={"emulator:deprecation-time": "2021-06-01T00:00:00Z", "emulator:owner-id": "999988887777"}
    )

    assert describe(ec2, own)["DeprecationTime"] == "2021-06-01T00:00:00.000Z"
    listed = {i["ImageId"] for i in ec2.describe_images()["Images"]}
    assert listed == {own}, "another owner's deprecated AMI is hidden from listings"
    assert {i["ImageId"] for i in ec2.describe_images(IncludeDeprecated=True)["Images"]} == {own, foreign}
    assert describe(ec2, foreign)["ImageId"] == foreign, "named ids are returned even when deprecated"


def test_enable_and_disable_image_deprecation(ec2: Any) -> None:
    image_id = register(ec2)
    deprecate_at = (datetime.now(UTC) + timedelta(days=30)).replace(second=40, microsecond=0)

    assert ec2.enable_image_deprecation(ImageId=image_id, DeprecateAt=deprecate_at)["Return"] is True
    expected = (deprecate_at + timedelta(minutes=1)).replace(second=0)
    assert describe(ec2, image_id)["DeprecationTime"] == expected.strftime("%Y-%m-%dT%H:%M:00.000Z")

    assert ec2.disable_image_deprecation(ImageId=image_id)["Return"] is True
    assert "DeprecationTime" not in describe(ec2, image_id)


@pytest.mark.parametrize("delta", [timedelta(days=-1), timedelta(days=365 * 11)])
def test_deprecation_time_must_be_in_the_allowed_window(ec2: Any, delta: timedelta) -> None:
    image_id = register(ec2)
    with pytest.raises(ClientError) as excinfo:
        ec2.enable_image_deprecation(ImageId=image_id, DeprecateAt=datetime.now(UTC) + delta)
    assert error_code(excinfo) == "InvalidParameterValue"


def test_disabled_images_are_hidden_unless_requested(ec2: Any) -> None:
    image_id = register(ec2)
    ec2.modify_image_attribute(ImageId=image_id, LaunchPermission={"Add": [{"Group": "all"}]})

    assert ec2.disable_image(ImageId=image_id)["Return"] is True

    assert ec2.describe_images(Owners=["self"])["Images"] == []
    assert ec2.describe_images(Owners=["self"], IncludeDisabled=True)["Images"][0]["State"] == "disabled"
    image = describe(ec2, image_id)
    assert image["State"] == "disabled"
    assert image["Public"] is False, "disabling removes all launch permissions"
    assert ec2.describe_image_attribute(ImageId=image_id, Attribute="launchPermission")["LaunchPermissions"] == []
    with pytest.raises(ClientError):
        ec2.modify_image_attribute(ImageId=image_id, LaunchPermission={"Add": [{"UserId": "111122223333"}]})

    ec2.enable_image(ImageId=image_id)
    assert ec2.describe_images(Owners=["self"])["Images"][0]["State"] == "available"


def test_unknown_image_ids_raise_not_found(ec2: Any) -> None:
    image_id = register(ec2)

    for image_ids in (["ami-0000000000000dead"], [image_id, "ami-0000000000000dead"]):
        with pytest.raises(ClientError) as excinfo:
            ec2.describe_images(ImageIds=image_ids)
        assert error_code(excinfo) == "InvalidAMIID.NotFound"
    with pytest.raises(ClientError) as excinfo:
        ec2.describe_images(ImageIds=["not-an-ami"])
    assert error_code(excinfo) == "InvalidAMIID.Malformed"
    with pytest.raises(ClientError) as excinfo:
        ec2.describe_image_attribute(ImageId="ami-0000000000000dead", Attribute="imdsSupport")
    assert error_code(excinfo) == "InvalidAMIID.NotFound"


def test_deregistered_image_disappears(ec2: Any) -> None:
    image_id = register(ec2)

    ec2.deregister_image(ImageId=image_id)

    assert ec2.describe_images(ImageIds=[image_id])["Images"] == []
    with pytest.raises(ClientError) as excinfo:
        ec2.describe_image_attribute(ImageId=image_id, Attribute="launchPermission")
    assert error_code(excinfo) == "InvalidAMIID.Unavailable"


def test_describe_image_attribute_values(ec2: Any) -> None:
    hardened = register(ec2, ImdsSupport="v2.0", TpmSupport="v2.0", BootMode="uefi", Description="CIS L1")
    plain = register(ec2, name="pg-plain-image")

    def attribute(image_id: str, name: str, member: str) -> Any:
        return ec2.describe_image_attribute(ImageId=image_id, Attribute=name)[member]

    assert attribute(hardened, "imdsSupport", "ImdsSupport") == {"Value": "v2.0"}
    assert attribute(plain, "imdsSupport", "ImdsSupport") == {}
    assert attribute(hardened, "tpmSupport", "TpmSupport") == {"Value": "v2.0"}
    assert attribute(hardened, "bootMode", "BootMode") == {"Value": "uefi"}
    assert attribute(hardened, "description", "Description") == {"Value": "CIS L1"}
    with pytest.raises(ClientError) as excinfo:
        ec2.describe_image_attribute(ImageId=plain, Attribute="colour")
    assert error_code(excinfo) == "InvalidParameterValue"


def test_modify_description_and_imds_support(ec2: Any) -> None:
    image_id = register(ec2)

    ec2.modify_image_attribute(ImageId=image_id, ImdsSupport={"Value": "v2.0"})
    ec2.modify_image_attribute(ImageId=image_id, Description={"Value": "rebuilt"})

    image = describe(ec2, image_id)
    assert image["ImdsSupport"] == "v2.0"
    assert image["Description"] == "rebuilt"
    with pytest.raises(ClientError):
        ec2.modify_image_attribute(ImageId=image_id, Attribute="imdsSupport", Value="v1.0")


PERMISSIONS = [
    ({"UserId": "111122223333"}, "UserIds", "111122223333"),
    ({"Group": "all"}, "UserGroups", "all"),
    ({"OrganizationArn": ORG_ARN}, "OrganizationArns", ORG_ARN),
    ({"OrganizationalUnitArn": OU_ARN}, "OrganizationalUnitArns", OU_ARN),
]


def launch_permissions(ec2: Any, image_id: str) -> list[dict[str, str]]:
    permissions: list[dict[str, str]] = ec2.describe_image_attribute(ImageId=image_id, Attribute="launchPermission")[
        "LaunchPermissions"
    ]
    return permissions


@pytest.mark.parametrize(("permission", "list_param", "value"), PERMISSIONS)
@pytest.mark.parametrize("form", ["structured", "operation-type"])
def test_launch_permission_add_and_remove(
    ec2: Any, permission: dict[str, str], list_param: str, value: str, form: str
) -> None:
    image_id = register(ec2)

    def modify(operation: str) -> None:
        if form == "structured":
            ec2.modify_image_attribute(ImageId=image_id, LaunchPermission={operation.capitalize(): [permission]})
        else:
            ec2.modify_image_attribute(
                ImageId=image_id,
                Attribute="launchPermission",
                OperationType=operation,
                **{list_param: [value]},
            )

    modify("add")
    assert launch_permissions(ec2, image_id) == [permission]
    assert describe(ec2, image_id)["Public"] is (permission == {"Group": "all"})

    modify("remove")
    assert launch_permissions(ec2, image_id) == []
    assert describe(ec2, image_id)["Public"] is False


def test_operation_type_form_takes_every_listed_value(ec2: Any) -> None:
    image_id = register(ec2)
    other_org = "arn:aws:organizations::222222222222:organization/o-zyxwvutsrq"

    ec2.modify_image_attribute(
        ImageId=image_id,
        Attribute="launchPermission",
        OperationType="add",
        UserIds=["111122223333", "444455556666"],
        OrganizationArns=[ORG_ARN, other_org],
    )

    assert launch_permissions(ec2, image_id) == [
        {"UserId": "111122223333"},
        {"UserId": "444455556666"},
        {"OrganizationArn": ORG_ARN},
        {"OrganizationArn": other_org},
    ]


@pytest.mark.parametrize(
    "permission",
    [
        {"UserId": "1234"},
        {"Group": "everyone"},
        {"OrganizationArn": "o-abc"},
        {"OrganizationalUnitArn": ORG_ARN},
    ],
)
def test_invalid_launch_permissions_are_rejected(ec2: Any, permission: dict[str, str]) -> None:
    image_id = register(ec2)
    with pytest.raises(ClientError) as excinfo:
        ec2.modify_image_attribute(ImageId=image_id, LaunchPermission={"Add": [permission]})
    assert error_code(excinfo) == "InvalidAMIAttributeItemValue"


def test_reset_image_attribute_clears_launch_permissions(ec2: Any) -> None:
    image_id = register(ec2)
    ec2.modify_image_attribute(
        ImageId=image_id, LaunchPermission={"Add": [{"Group": "all"}, {"UserId": "111122223333"}]}
    )

    ec2.reset_image_attribute(ImageId=image_id, Attribute="launchPermission")

    assert launch_permissions(ec2, image_id) == []
    assert describe(ec2, image_id)["Public"] is False
    with pytest.raises(ClientError):
        ec2.reset_image_attribute(ImageId=image_id, Attribute="kernel")


def test_describe_images_paginates_and_combines_ids_with_owners(ec2: Any) -> None:
    image_ids = {register(ec2, name=f"pg-image-{index}") for index in range(7)}

    pages = list(ec2.get_paginator("describe_images").paginate(Owners=["self"], PaginationConfig={"PageSize": 5}))

    assert [len(page["Images"]) for page in pages] == [5, 2]
    assert {image["ImageId"] for page in pages for image in page["Images"]} == image_ids
    some_id = sorted(image_ids)[0]
    assert ec2.describe_images(ImageIds=[some_id], Owners=["amazon"])["Images"] == []
    filtered = ec2.describe_images(ImageIds=[some_id], Filters=[{"Name": "name", "Values": ["pg-image-*"]}])
    assert [image["ImageId"] for image in filtered["Images"]] == [some_id]


def names(text: str) -> set[str]:
    return set(text.split())


CONSUMED_EC2_MEMBERS = {
    "RegisterImage": names(
        "Name Description ImdsSupport BlockDeviceMappings TagSpecifications BootMode Architecture RootDeviceName"
        " VirtualizationType EnaSupport TpmSupport SriovNetSupport KernelId RamdiskId ImageLocation UefiData DryRun"
    ),
    "DescribeImages": names(
        "ImageIds Owners ExecutableUsers Filters IncludeDisabled IncludeDeprecated MaxResults NextToken DryRun"
    ),
    "DescribeImageAttribute": names("ImageId Attribute DryRun"),
    "ModifyImageAttribute": names(
        "ImageId Attribute Value Description ImdsSupport LaunchPermission OperationType UserIds UserGroups"
        " OrganizationArns OrganizationalUnitArns DryRun"
    ),
    "ResetImageAttribute": names("ImageId Attribute DryRun"),
    "DisableImage": names("ImageId DryRun"),
    "EnableImage": names("ImageId"),
    "DeregisterImage": names("ImageId"),
    "EnableImageDeprecation": names("ImageId DeprecateAt DryRun"),
    "DisableImageDeprecation": names("ImageId DryRun"),
}
PRODUCED_EC2_MEMBERS = {
    "Image": names(
        "ImdsSupport DeprecationTime EnaSupport TpmSupport SriovNetSupport PlatformDetails UsageOperation"
        " BlockDeviceMappings ImageOwnerAlias RamdiskId CreationDate Public State OwnerId Tags BootMode"
        " Architecture RootDeviceName RootDeviceType VirtualizationType Hypervisor ImageLocation KernelId"
    ),
    "ImageAttribute": names(
        "Description KernelId RamdiskId SriovNetSupport BootMode TpmSupport UefiData LastLaunchedTime ImdsSupport"
        " DeregistrationProtection LaunchPermissions ProductCodes"
    ),
    "EbsBlockDevice": names("DeleteOnTermination SnapshotId VolumeSize VolumeType Encrypted KmsKeyId Iops Throughput"),
    "BlockDeviceMapping": names("DeviceName VirtualName NoDevice Ebs"),
    "LaunchPermission": names("UserId Group OrganizationArn OrganizationalUnitArn"),
    "LaunchPermissionModifications": names("Add Remove"),
    "TagSpecification": names("ResourceType Tags"),
}


def test_patched_operations_match_the_botocore_model() -> None:
    from provenance_guard_cli.emulator import ec2_images

    model = botocore.session.get_session().get_service_model("ec2")
    for operation, members in CONSUMED_EC2_MEMBERS.items():
        assert members <= input_members(model, operation), operation
    for shape, members in PRODUCED_EC2_MEMBERS.items():
        assert members <= set(shape_members(model, shape)), shape
    handled = set(ec2_images._SIMPLE_ATTRIBUTES) | {
        "launchPermission",
        "productCodes",
        "blockDeviceMapping",
        "lastLaunchedTime",
        "deregistrationProtection",
    }
    assert handled == set(enum(model, "ImageAttributeName"))
    assert enum(model, "ResetImageAttributeName") == ["launchPermission"]

"""Image block public access and instance metadata defaults, per account and Region."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from provenance_guard_cli.emulator import ec2_account_guardrails as guardrails
from tests.unit.emulator.ec2_support import OTHER_REGION, describe, other_account_client, register
from tests.unit.emulator.model_shapes import enum, input_members, shape_members
from tests.unit.support import error_code


def test_block_public_access_round_trip(ec2: Any) -> None:
    assert ec2.get_image_block_public_access_state()["ImageBlockPublicAccessState"] == "unblocked"
    assert ec2.get_image_block_public_access_state()["ManagedBy"] == "account"

    enabled = ec2.enable_image_block_public_access(ImageBlockPublicAccessState="block-new-sharing")
    assert enabled["ImageBlockPublicAccessState"] == "block-new-sharing"
    assert ec2.get_image_block_public_access_state()["ImageBlockPublicAccessState"] == "block-new-sharing"

    assert ec2.disable_image_block_public_access()["ImageBlockPublicAccessState"] == "unblocked"
    assert ec2.get_image_block_public_access_state()["ImageBlockPublicAccessState"] == "unblocked"


@pytest.mark.parametrize(
    "request_form",
    [
        {"LaunchPermission": {"Add": [{"Group": "all"}]}},
        {"Attribute": "launchPermission", "OperationType": "add", "UserGroups": ["all"]},
    ],
)
def test_blocked_accounts_cannot_share_publicly(ec2: Any, request_form: dict[str, Any]) -> None:
    image_id = register(ec2)
    ec2.enable_image_block_public_access(ImageBlockPublicAccessState="block-new-sharing")

    with pytest.raises(ClientError) as excinfo:
        ec2.modify_image_attribute(ImageId=image_id, **request_form)

    assert error_code(excinfo) == "OperationNotPermitted"
    assert "block public access for AMIs is enabled" in excinfo.value.response["Error"]["Message"]
    assert describe(ec2, image_id)["Public"] is False
    ec2.modify_image_attribute(ImageId=image_id, LaunchPermission={"Add": [{"UserId": "111122223333"}]})
    ec2.disable_image_block_public_access()
    ec2.modify_image_attribute(ImageId=image_id, **request_form)
    assert describe(ec2, image_id)["Public"] is True


def test_images_already_public_stay_public_and_can_be_unshared(ec2: Any) -> None:
    image_id = register(ec2)
    ec2.modify_image_attribute(ImageId=image_id, LaunchPermission={"Add": [{"Group": "all"}]})

    ec2.enable_image_block_public_access(ImageBlockPublicAccessState="block-new-sharing")

    assert describe(ec2, image_id)["Public"] is True
    ec2.modify_image_attribute(ImageId=image_id, LaunchPermission={"Add": [{"Group": "all"}]})
    ec2.modify_image_attribute(ImageId=image_id, LaunchPermission={"Remove": [{"Group": "all"}]})
    assert describe(ec2, image_id)["Public"] is False


def test_unknown_images_still_fail_as_not_found(ec2: Any) -> None:
    ec2.enable_image_block_public_access(ImageBlockPublicAccessState="block-new-sharing")
    with pytest.raises(ClientError) as excinfo:
        ec2.modify_image_attribute(ImageId="ami-0000000000000dead", LaunchPermission={"Add": [{"Group": "all"}]})
    assert error_code(excinfo) == "InvalidAMIID.NotFound"


def test_instance_metadata_defaults_round_trip(ec2: Any) -> None:
    assert ec2.get_instance_metadata_defaults()["AccountLevel"] == {"ManagedBy": "account"}

    assert (
        ec2.modify_instance_metadata_defaults(
            HttpTokens="required",
            HttpPutResponseHopLimit=2,
            HttpEndpoint="enabled",
            InstanceMetadataTags="disabled",
            HttpTokensEnforced="enabled",
        )["Return"]
        is True
    )
    assert ec2.get_instance_metadata_defaults()["AccountLevel"] == {
        "HttpTokens": "required",
        "HttpPutResponseHopLimit": 2,
        "HttpEndpoint": "enabled",
        "InstanceMetadataTags": "disabled",
        "HttpTokensEnforced": "enabled",
        "ManagedBy": "account",
    }

    ec2.modify_instance_metadata_defaults(HttpTokens="optional")
    ec2.modify_instance_metadata_defaults(HttpPutResponseHopLimit=-1, InstanceMetadataTags="no-preference")
    assert ec2.get_instance_metadata_defaults()["AccountLevel"] == {
        "HttpTokens": "optional",
        "HttpEndpoint": "enabled",
        "HttpTokensEnforced": "enabled",
        "ManagedBy": "account",
    }


@pytest.mark.parametrize(
    "change",
    [
        {"HttpTokens": "mandatory"},
        {"HttpPutResponseHopLimit": 0},
        {"HttpPutResponseHopLimit": 65},
        {"HttpEndpoint": "on"},
        {"InstanceMetadataTags": "yes"},
        {"HttpTokensEnforced": "true"},
    ],
)
def test_invalid_metadata_defaults_are_refused(aws: None, boto_session: Any, change: dict[str, Any]) -> None:
    unchecked = boto_session.client("ec2", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as excinfo:
        unchecked.modify_instance_metadata_defaults(**change)
    assert error_code(excinfo) == "InvalidParameterValue"
    assert unchecked.get_instance_metadata_defaults()["AccountLevel"] == {"ManagedBy": "account"}


def test_enabling_block_public_access_takes_only_its_one_state(aws: None, boto_session: Any) -> None:
    unchecked = boto_session.client("ec2", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as excinfo:
        unchecked.enable_image_block_public_access(ImageBlockPublicAccessState="block-all-sharing")
    assert error_code(excinfo) == "InvalidParameterValue"


def test_settings_are_per_region_and_account(ec2: Any, boto_session: Any) -> None:
    ec2.enable_image_block_public_access(ImageBlockPublicAccessState="block-new-sharing")
    ec2.modify_instance_metadata_defaults(HttpTokens="required")

    for client in (boto_session.client("ec2", region_name=OTHER_REGION), other_account_client("ec2")):
        assert client.get_image_block_public_access_state()["ImageBlockPublicAccessState"] == "unblocked"
        assert client.get_instance_metadata_defaults()["AccountLevel"] == {"ManagedBy": "account"}


def test_settings_are_forgotten_on_reset(ec2: Any) -> None:
    from moto.core.base_backend import BackendDict

    ec2.enable_image_block_public_access(ImageBlockPublicAccessState="block-new-sharing")
    ec2.modify_instance_metadata_defaults(HttpTokens="required")
    BackendDict.reset()

    assert ec2.get_image_block_public_access_state()["ImageBlockPublicAccessState"] == "unblocked"
    assert ec2.get_instance_metadata_defaults()["AccountLevel"] == {"ManagedBy": "account"}


def test_operations_match_the_botocore_model() -> None:
    model = botocore.session.get_session().get_service_model("ec2")
    assert input_members(model, "GetImageBlockPublicAccessState") == {"DryRun"}
    assert input_members(model, "EnableImageBlockPublicAccess") == {"ImageBlockPublicAccessState", "DryRun"}
    assert input_members(model, "DisableImageBlockPublicAccess") == {"DryRun"}
    assert set(shape_members(model, "GetImageBlockPublicAccessStateResult")) == {
        "ImageBlockPublicAccessState",
        "ManagedBy",
    }
    assert enum(model, "ImageBlockPublicAccessEnabledState") == [guardrails.BLOCKED]
    assert enum(model, "ImageBlockPublicAccessDisabledState") == [guardrails.UNBLOCKED]
    assert input_members(model, "GetInstanceMetadataDefaults") == {"DryRun"}
    assert input_members(model, "ModifyInstanceMetadataDefaults") == {
        *guardrails._ENUM_DEFAULTS,
        "HttpPutResponseHopLimit",
        "DryRun",
    }
    assert set(shape_members(model, "ModifyInstanceMetadataDefaultsResult")) == {"Return"}
    account_level = set(shape_members(model, "InstanceMetadataDefaultsResponse"))
    assert {*guardrails._ENUM_DEFAULTS, "HttpPutResponseHopLimit", "ManagedBy"} <= account_level
    request = shape_members(model, "ModifyInstanceMetadataDefaultsRequest")
    for name, values in guardrails._ENUM_DEFAULTS.items():
        assert set(enum(model, request[name].name)) == {*values, guardrails.NO_PREFERENCE}, name
    assert enum(model, "ManagedBy") == ["account", "declarative-policy"]

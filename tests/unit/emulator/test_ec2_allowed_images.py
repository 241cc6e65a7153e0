"""Allowed AMIs: the setting's calls, ImageAllowed per criterion, and what enabled hides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from provenance_guard_cli.emulator import ec2_allowed_images as allowed_images
from provenance_guard_cli.emulator import ec2_image_watermarks as watermarks
from provenance_guard_cli.emulator.ec2_image_scans import set_scan_results
from tests.unit.emulator.ec2_support import (
    ACCOUNT,
    AMAZON,
    COMMUNITY,
    OTHER_REGION,
    amazon_base,
    ami_of,
    community_image,
    describe,
    other_account_client,
    register,
)
from tests.unit.emulator.model_shapes import enum, input_members, shape_members
from tests.unit.support import error_code

NOW = datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def criteria(ec2: Any, *criterion: dict[str, Any], state: str = "audit-mode") -> None:
    ec2.enable_allowed_images_settings(AllowedImagesSettingsState=state)
    ec2.replace_image_criteria_in_allowed_images_settings(ImageCriteria=list(criterion))


def allowed(ec2: Any, image_id: str) -> Any:
    return describe(ec2, image_id).get("ImageAllowed")


def test_settings_start_disabled_and_round_trip(ec2: Any) -> None:
    assert ec2.get_allowed_images_settings()["State"] == "disabled"
    assert ec2.get_allowed_images_settings()["ManagedBy"] == "account"
    assert "ImageCriteria" not in ec2.get_allowed_images_settings()

    wanted = [
        {"ImageProviders": ["amazon", AMAZON], "CreationDateCondition": {"MaximumDaysSinceCreated": 300}},
        {
            "ImageNames": ["golden-ami-*"],
            "ImageWatermarks": [{"WatermarkKey": "123456789012:*", "MaximumDaysSinceWatermarkCreated": 90}],
            "ScanResultCondition": {"MaximumSeverityLabel": "medium", "MaxDaysSinceCriticalFixAvailable": 0},
        },
        {
            "MarketplaceProductCodes": ["abcdefg1234567890"],
            "DeprecationTimeCondition": {"MaximumDaysSinceDeprecated": 0},
        },
    ]
    enabled = ec2.enable_allowed_images_settings(AllowedImagesSettingsState="audit-mode")
    assert enabled["AllowedImagesSettingsState"] == "audit-mode"
    assert ec2.replace_image_criteria_in_allowed_images_settings(ImageCriteria=wanted)["ReturnValue"] is True

    settings = ec2.get_allowed_images_settings()
    assert (settings["State"], settings["ImageCriteria"]) == ("audit-mode", wanted)
    assert ec2.disable_allowed_images_settings()["AllowedImagesSettingsState"] == "disabled"
    assert ec2.get_allowed_images_settings()["ImageCriteria"] == wanted, "disabling keeps the criteria"
    ec2.replace_image_criteria_in_allowed_images_settings()
    assert "ImageCriteria" not in ec2.get_allowed_images_settings()


def test_image_allowed_is_left_out_while_disabled(ec2: Any) -> None:
    assert "ImageAllowed" not in describe(ec2, community_image(ec2))


def test_own_images_are_always_allowed(ec2: Any) -> None:
    own = register(ec2, "mine")
    criteria(ec2, {"ImageProviders": ["none"]}, state="enabled")

    assert allowed(ec2, own) is True


@pytest.mark.parametrize(
    ("criterion", "expected"),
    [
        ({"ImageProviders": ["amazon"]}, {"amazon": True, "community": False, "marketplace": False}),
        ({"ImageProviders": [COMMUNITY]}, {"amazon": False, "community": True, "marketplace": False}),
        ({"ImageProviders": ["aws-marketplace"]}, {"amazon": False, "community": False, "marketplace": True}),
        ({"ImageProviders": ["none"]}, {"amazon": False, "community": False, "marketplace": False}),
        ({"ImageNames": ["al2023-*"]}, {"amazon": True, "community": False, "marketplace": False}),
        ({"ImageNames": ["vendor [v?]"]}, {"amazon": False, "community": False, "marketplace": True}),
        ({"ImageNames": ["vendor v1"]}, {"amazon": False, "community": False, "marketplace": False}),
        ({"MarketplaceProductCodes": ["prod1234"]}, {"amazon": False, "community": False, "marketplace": True}),
        (
            {"ImageProviders": ["amazon", COMMUNITY], "ImageNames": ["community-*"]},
            {"amazon": False, "community": True, "marketplace": False},
        ),
    ],
)
def test_providers_names_and_product_codes(ec2: Any, criterion: dict[str, Any], expected: dict[str, bool]) -> None:
    images = {
        "amazon": amazon_base(ec2),
        "community": community_image(ec2),
        "marketplace": register(
            ec2, "vendor [v1]", tags={"emulator:owner-id": "679593333241", "emulator:owner-alias": "aws-marketplace"}
        ),
    }
    ami_of(images["marketplace"]).product_codes = {"prod1234"}
    criteria(ec2, criterion)

    assert {name: allowed(ec2, image_id) for name, image_id in images.items()} == expected


def test_criteria_are_alternatives(ec2: Any) -> None:
    amazon = amazon_base(ec2)
    community = community_image(ec2)
    criteria(ec2, {"ImageProviders": ["amazon"]}, {"ImageProviders": [COMMUNITY]})

    assert (allowed(ec2, amazon), allowed(ec2, community)) == (True, True)


def test_creation_date_condition(ec2: Any) -> None:
    fresh = community_image(ec2, "fresh")
    old = register(
        ec2, "old", tags={"emulator:owner-id": COMMUNITY, "emulator:creation-date": iso(NOW - timedelta(days=301))}
    )
    criteria(ec2, {"ImageProviders": [COMMUNITY], "CreationDateCondition": {"MaximumDaysSinceCreated": 300}})

    assert (allowed(ec2, fresh), allowed(ec2, old)) == (True, False)


def test_deprecation_time_condition(ec2: Any) -> None:
    def image(name: str, deprecated_days_ago: int | None) -> str:
        tags = {"emulator:owner-id": COMMUNITY}
        if deprecated_days_ago is not None:
            tags["emulator:deprecation-time"] = iso(NOW - timedelta(days=deprecated_days_ago))
        return register(ec2, name, tags=tags)

    current, recent, long_ago = image("current", None), image("recent", 5), image("long-ago", 40)
    criteria(ec2, {"DeprecationTimeCondition": {"MaximumDaysSinceDeprecated": 30}})
    assert [allowed(ec2, i) for i in (current, recent, long_ago)] == [True, True, False]

    criteria(ec2, {"DeprecationTimeCondition": {"MaximumDaysSinceDeprecated": 0}})
    assert [allowed(ec2, i) for i in (current, recent, long_ago)] == [True, False, False]


def test_watermark_condition(ec2: Any) -> None:
    marked = foreign_image_with_watermark(ec2, "golden")
    plain = community_image(ec2, "plain")

    criteria(ec2, {"ImageWatermarks": [{"WatermarkKey": f"{ACCOUNT}:gold*"}]})
    assert (allowed(ec2, marked), allowed(ec2, plain)) == (True, False)
    criteria(ec2, {"ImageWatermarks": [{"WatermarkKey": f"{ACCOUNT}:*", "SourceImageRegion": OTHER_REGION}]})
    assert allowed(ec2, marked) is False
    criteria(ec2, {"ImageWatermarks": [{"MaximumDaysSinceWatermarkCreated": 1, "SourceImageRegion": "us-*"}]})
    assert allowed(ec2, marked) is True
    criteria(ec2, {"ImageWatermarks": [{"MaximumDaysSinceSourceImageCreated": 10}]})
    assert allowed(ec2, marked) is False, "the watermarked source AMI is 20 days old"


def foreign_image_with_watermark(ec2: Any, name: str) -> str:
    """A community AMI carrying the caller's watermark, as one derived from the caller's AMI would.

    moto cannot copy into another account's backend, so the derivation is recorded directly."""
    source = register(ec2, "source", tags={"emulator:creation-date": iso(NOW - timedelta(days=20))})
    ec2.attach_image_watermark(ImageId=source, WatermarkName=name)
    derived = community_image(ec2, f"{name}-derived")
    watermarks.inherit(ami_of(source), ami_of(derived))
    return derived


def test_scan_result_condition(ec2: Any) -> None:
    def scanned(name: str, results: dict[str, Any] | None) -> str:
        image_id = community_image(ec2, name)
        set_scan_results(image_id, results)
        return image_id

    never = scanned("never", None)
    clean = scanned("clean", {"FindingScanDate": NOW - timedelta(days=1)})
    stale = scanned("stale", {"FindingScanDate": NOW - timedelta(days=40)})
    critical = scanned(
        "critical",
        {
            "FindingScanDate": NOW,
            "HighestFindingSeverityLabel": "critical",
            "CriticalFixAvailableSince": NOW - timedelta(days=45),
        },
    )
    medium = scanned(
        "medium",
        {"FindingScanDate": NOW, "HighestFindingSeverityLabel": "medium", "MediumFixAvailableSince": NOW},
    )
    images = (never, clean, stale, critical, medium)

    criteria(ec2, {"ScanResultCondition": {"MaximumSeverityLabel": "high"}})
    assert [allowed(ec2, i) for i in images] == [False, True, True, False, True]
    criteria(ec2, {"ScanResultCondition": {"MaxDaysSinceLastFindingScan": 30}})
    assert [allowed(ec2, i) for i in images] == [False, True, False, True, True]
    criteria(ec2, {"ScanResultCondition": {"MaxDaysSinceCriticalFixAvailable": 30}})
    assert [allowed(ec2, i) for i in images] == [False, True, True, False, True]


def test_enabled_hides_what_is_not_allowed_and_audit_mode_does_not(ec2: Any) -> None:
    own = register(ec2, "mine")
    amazon = amazon_base(ec2)
    community = community_image(ec2)
    criteria(ec2, {"ImageProviders": ["amazon"]}, state="audit-mode")

    listed = {image["ImageId"]: image["ImageAllowed"] for image in ec2.describe_images()["Images"]}
    assert listed == {own: True, amazon: True, community: False}

    ec2.enable_allowed_images_settings(AllowedImagesSettingsState="enabled")
    assert {image["ImageId"] for image in ec2.describe_images()["Images"]} == {own, amazon}
    assert ec2.describe_images(ImageIds=[community])["Images"] == []
    assert ec2.get_allowed_images_settings()["State"] == "enabled"


def test_image_allowed_filter(ec2: Any) -> None:
    amazon = amazon_base(ec2)
    community = community_image(ec2)
    criteria(ec2, {"ImageProviders": ["amazon"]})

    def found(value: str) -> set[str]:
        return {
            i["ImageId"] for i in ec2.describe_images(Filters=[{"Name": "image-allowed", "Values": [value]}])["Images"]
        }

    assert (found("true"), found("false")) == ({amazon}, {community})


def test_settings_are_per_region_and_account(ec2: Any, boto_session: Any) -> None:
    criteria(ec2, {"ImageProviders": ["amazon"]}, state="enabled")

    europe = boto_session.client("ec2", region_name=OTHER_REGION)
    assert europe.get_allowed_images_settings()["State"] == "disabled"
    assert other_account_client("ec2").get_allowed_images_settings()["State"] == "disabled"


@pytest.mark.parametrize(
    "criterion",
    [
        {"ImageProviders": ["none", "amazon"]},
        {"ImageProviders": ["microsoft"]},
        {"ImageProviders": [f"{index:012d}" for index in range(201)]},
        {"ImageNames": ["x" * 129]},
        {"ImageNames": ["a?"]},
        {"ImageNames": ["semi;colon"]},
        {"MarketplaceProductCodes": ["has-dash"]},
        {"CreationDateCondition": {"MaximumDaysSinceCreated": -1}},
        {"ScanResultCondition": {"MaximumSeverityLabel": "severe"}},
    ],
)
def test_invalid_criteria_are_refused(aws: None, boto_session: Any, criterion: dict[str, Any]) -> None:
    unchecked = boto_session.client("ec2", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as excinfo:
        unchecked.replace_image_criteria_in_allowed_images_settings(ImageCriteria=[criterion])
    assert error_code(excinfo) == "InvalidParameterValue"
    assert "ImageCriteria" not in unchecked.get_allowed_images_settings()


def test_limits_on_the_number_of_criteria_and_states(aws: None, boto_session: Any) -> None:
    unchecked = boto_session.client("ec2", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as too_many:
        unchecked.replace_image_criteria_in_allowed_images_settings(
            ImageCriteria=[{"ImageProviders": ["amazon"]}] * (allowed_images.MAX_CRITERIA + 1)
        )
    with pytest.raises(ClientError) as bad_state:
        unchecked.enable_allowed_images_settings(AllowedImagesSettingsState="disabled")
    assert error_code(too_many) == error_code(bad_state) == "InvalidParameterValue"


def test_operations_match_the_botocore_model() -> None:
    model = botocore.session.get_session().get_service_model("ec2")
    assert input_members(model, "GetAllowedImagesSettings") == {"DryRun"}
    assert input_members(model, "EnableAllowedImagesSettings") == {"AllowedImagesSettingsState", "DryRun"}
    assert input_members(model, "DisableAllowedImagesSettings") == {"DryRun"}
    assert input_members(model, "ReplaceImageCriteriaInAllowedImagesSettings") == {"ImageCriteria", "DryRun"}
    assert set(shape_members(model, "GetAllowedImagesSettingsResult")) == {"State", "ImageCriteria", "ManagedBy"}
    assert set(shape_members(model, "EnableAllowedImagesSettingsResult")) == {"AllowedImagesSettingsState"}
    assert set(shape_members(model, "DisableAllowedImagesSettingsResult")) == {"AllowedImagesSettingsState"}
    assert set(shape_members(model, "ReplaceImageCriteriaInAllowedImagesSettingsResult")) == {"ReturnValue"}
    assert enum(model, "AllowedImagesSettingsEnabledState") == ["enabled", "audit-mode"]
    assert enum(model, "AllowedImagesSettingsDisabledState") == ["disabled"]
    assert enum(model, "SeverityLabel") == list(allowed_images.SEVERITY_LABELS)
    request_members = set(shape_members(model, "ImageCriterionRequest"))
    assert request_members == set(shape_members(model, "ImageCriterion"))
    assert set(allowed_images._LIST_LIMITS) | set(allowed_images._CONDITIONS) == request_members
    for condition, fields in allowed_images._CONDITIONS.items():
        assert set(fields) == set(shape_members(model, f"{condition}Request")), condition
    assert set(allowed_images._WATERMARK_FILTER_FIELDS) == set(shape_members(model, "ImageWatermarkFilterRequest"))
    assert "ImageAllowed" in shape_members(model, "Image")

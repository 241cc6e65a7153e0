"""EC2 Allowed AMIs (moto 5.2.5 has none): ``GetAllowedImagesSettings``, ``EnableAllowedImagesSettings``,
``DisableAllowedImagesSettings``, ``ReplaceImageCriteriaInAllowedImagesSettings`` and ``Image.ImageAllowed``.

Per account and Region, as the API reference and user guide ("ec2-allowed-amis") document it:

* State ``disabled`` (the default), ``audit-mode`` or ``enabled``; ``ManagedBy`` is ``account``
  (declarative policies are not emulated). Disabling keeps the criteria.
* ``ImageAllowed`` says whether an AMI meets the criteria (:mod:`.ec2_allowed_criteria`; the account's
  own AMIs always do). In ``audit-mode`` every AMI stays discoverable and usable; in ``enabled`` the
  AMIs that are not allowed are no longer discoverable: DescribeImages leaves them out, even when
  named in ``ImageIds``.
* ReplaceImageCriteria checks the documented limits: at most 10 criteria; per criterion at most 200
  ``ImageProviders`` (``amazon``, ``aws-marketplace``, ``aws-backup-vault``, 12-digit accounts, or
  ``none`` alone), 50 ``ImageNames`` (1-128 characters of letters, digits, spaces and
  ``( ) [ ] . / - ' @ _ * ?``, at least 3 with ``?``), 50 ``MarketplaceProductCodes`` (1-25 letters
  and digits) and 50 ``ImageWatermarks``; day counts 0 or more; ``MaximumSeverityLabel`` from the
  model's enum. Omitting ``ImageCriteria`` clears them. Errors are ``InvalidParameterValue``.

Modelling choices the documentation does not settle: with the setting ``disabled``, ``ImageAllowed``
is left out of DescribeImages; settings apply at once. (An empty criterion, condition or watermark
filter never reaches the service: the query protocol sends nothing for an empty structure.)
Not modelled: refusing RunInstances, CopyImage and the other image-using calls for AMIs that are not
allowed while ``enabled``; DescribeInstanceImageMetadata.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.models.amis import Ami
from moto.ec2.responses.settings import Settings

from . import ec2_allowed_criteria as criteria_rules
from . import ec2_image_model as model
from .patches import patch_attr

PROVIDER_ALIASES = frozenset({"amazon", "aws-marketplace", "aws-backup-vault"})
SEVERITY_LABELS = ("informational", "low", "medium", "high", "critical")
MAX_CRITERIA = 10
_LIST_LIMITS = {"ImageProviders": 200, "ImageNames": 50, "MarketplaceProductCodes": 50, "ImageWatermarks": 50}
_ACCOUNT = re.compile(r"^\d{12}$")
_IMAGE_NAME = re.compile(r"^[A-Za-z0-9()\[\] ./\-'@_*?]{1,128}$")
_PRODUCT_CODE = re.compile(r"^[A-Za-z0-9]{1,25}$")
_CONDITIONS = {
    "CreationDateCondition": ("MaximumDaysSinceCreated",),
    "DeprecationTimeCondition": ("MaximumDaysSinceDeprecated",),
    "ScanResultCondition": (
        "MaxDaysSinceLastFindingScan",
        "MaximumSeverityLabel",
        *(f"MaxDaysSince{label.capitalize()}FixAvailable" for label in SEVERITY_LABELS),
    ),
}
_WATERMARK_FILTER_FIELDS = (
    "WatermarkKey",
    "SourceImageRegion",
    "MaximumDaysSinceSourceImageCreated",
    "MaximumDaysSinceWatermarkCreated",
)


@dataclass
class AllowedImagesSettings:
    state: str = "disabled"
    criteria: list[dict[str, Any]] = field(default_factory=list)


def settings_of(backend: Any) -> AllowedImagesSettings:
    found: AllowedImagesSettings = backend.__dict__.setdefault(
        "provenance_guard_allowed_images", AllowedImagesSettings()
    )
    return found


def image_allowed(ami: Any) -> bool | None:
    """``Image.ImageAllowed``: None while the setting is disabled."""
    backend = ami.ec2_backend
    settings = settings_of(backend)
    if settings.state == "disabled":
        return None
    return criteria_rules.is_allowed(ami, backend.account_id, settings.criteria, model.utc_now())


def is_discoverable(ami: Any) -> bool:
    return settings_of(ami.ec2_backend).state != "enabled" or bool(image_allowed(ami))


def validate_criteria(requested: Any) -> list[dict[str, Any]]:
    if not isinstance(requested, list):
        raise model.invalid_parameter("ImageCriteria must be a list of ImageCriterion")
    if len(requested) > MAX_CRITERIA:
        raise model.invalid_parameter(f"ImageCriteria can include up to {MAX_CRITERIA} ImageCriterion")
    return [_validate_criterion(index, criterion) for index, criterion in enumerate(requested, start=1)]


def _validate_criterion(index: int, criterion: Any) -> dict[str, Any]:
    where = f"ImageCriterion {index}"
    if not isinstance(criterion, dict):
        raise model.invalid_parameter(f"{where} must be a structure")
    cleaned = {member: value for member, value in criterion.items() if value is not None}
    _validate_lists(where, cleaned)
    for member, fields in _CONDITIONS.items():
        if member in cleaned:
            cleaned[member] = _validate_fields(f"{where}: {member}", cleaned[member], fields)
    if "ImageWatermarks" in cleaned:
        cleaned["ImageWatermarks"] = [
            _validate_fields(f"{where}: ImageWatermarks {number}", wanted, _WATERMARK_FILTER_FIELDS)
            for number, wanted in enumerate(cleaned["ImageWatermarks"], start=1)
        ]
    return cleaned


def _validate_lists(where: str, cleaned: dict[str, Any]) -> None:
    for member, limit in _LIST_LIMITS.items():
        values = cleaned.get(member)
        if values is not None and (not isinstance(values, list) or not values or len(values) > limit):
            raise model.invalid_parameter(f"{where}: {member} must list 1 to {limit} values")
    for provider in cleaned.get("ImageProviders", []):
        if provider not in PROVIDER_ALIASES | {"none"} and not _ACCOUNT.match(str(provider)):
            raise model.invalid_parameter(f"{where}: invalid image provider '{provider}'")
    if "none" in cleaned.get("ImageProviders", []) and len(cleaned["ImageProviders"]) > 1:
        raise model.invalid_parameter(f"{where}: when 'none' is an image provider no other value can be specified")
    for name in cleaned.get("ImageNames", []):
        if not _IMAGE_NAME.match(str(name)) or ("?" in name and len(name) < 3):
            raise model.invalid_parameter(f"{where}: invalid image name '{name}'")
    for code in cleaned.get("MarketplaceProductCodes", []):
        if not _PRODUCT_CODE.match(str(code)):
            raise model.invalid_parameter(f"{where}: invalid marketplace product code '{code}'")


def _validate_fields(where: str, structure: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(structure, dict):
        raise model.invalid_parameter(f"{where} must be a structure")
    cleaned = {name: value for name, value in structure.items() if value is not None}
    unknown = sorted(set(cleaned) - set(fields))
    if unknown:
        raise model.invalid_parameter(f"{where}: unknown members {unknown}; known: {list(fields)}")
    for name, value in cleaned.items():
        if name == "MaximumSeverityLabel":
            if value not in SEVERITY_LABELS:
                raise model.invalid_parameter(f"{where}: MaximumSeverityLabel must be one of {list(SEVERITY_LABELS)}")
        elif name in ("WatermarkKey", "SourceImageRegion"):
            if not isinstance(value, str) or not value:
                raise model.invalid_parameter(f"{where}: {name} must be a non-empty string")
        elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise model.invalid_parameter(f"{where}: {name} must be a whole number of days, 0 or more")
    return cleaned


def get_allowed_images_settings(self: Any) -> ActionResult:
    self.error_on_dryrun()
    settings = settings_of(self.ec2_backend)
    return ActionResult({"State": settings.state, "ImageCriteria": settings.criteria or None, "ManagedBy": "account"})


def enable_allowed_images_settings(self: Any) -> ActionResult:
    state = self._get_param("AllowedImagesSettingsState")
    self.error_on_dryrun()
    if state not in ("enabled", "audit-mode"):
        raise model.invalid_parameter(
            f"Value ({state}) for parameter AllowedImagesSettingsState is invalid. Valid values: enabled, audit-mode"
        )
    settings_of(self.ec2_backend).state = state
    return ActionResult({"AllowedImagesSettingsState": state})


def disable_allowed_images_settings(self: Any) -> ActionResult:
    self.error_on_dryrun()
    settings_of(self.ec2_backend).state = "disabled"
    return ActionResult({"AllowedImagesSettingsState": "disabled"})


def replace_image_criteria_in_allowed_images_settings(self: Any) -> ActionResult:
    requested = self._get_param("ImageCriteria", [])
    self.error_on_dryrun()
    settings_of(self.ec2_backend).criteria = validate_criteria(requested)
    return ActionResult({"ReturnValue": True})


def install() -> None:
    patch_attr(Ami, "image_allowed", property(image_allowed))
    for handler in (
        get_allowed_images_settings,
        enable_allowed_images_settings,
        disable_allowed_images_settings,
        replace_image_criteria_in_allowed_images_settings,
    ):
        patch_attr(Settings, handler.__name__, handler)

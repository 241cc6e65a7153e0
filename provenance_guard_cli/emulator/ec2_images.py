"""EC2 AMI extensions to moto 5.2.5 (patched onto ``AmisResponse`` and ``Ami``).

What moto lacks or gets wrong, and what this module does instead:

* ``RegisterImage`` kept only Name/Description. Now honours ImdsSupport, BlockDeviceMappings (Ebs
  Encrypted/SnapshotId/KmsKeyId/VolumeSize/VolumeType/DeleteOnTermination/Iops/Throughput),
  TagSpecifications (``image`` only), BootMode, Architecture (default ``i386``), RootDeviceName,
  VirtualizationType (default ``paravirtual``), EnaSupport, TpmSupport, SriovNetSupport, KernelId,
  RamdiskId, ImageLocation, UefiData. An existing snapshot's encryption state wins over the request,
  as on AWS; an unknown snapshot id is accepted and reported as requested (AWS would reject it).
* ``DescribeImages``: returns those members plus DeprecationTime; hides disabled AMIs unless
  ``IncludeDisabled`` or the id is named in ``ImageIds``; hides deprecated AMIs of other owners unless
  ``IncludeDeprecated`` or named; hides AMIs that Allowed AMIs (``enabled``) does not allow
  (:mod:`.ec2_allowed_images`); fails with ``InvalidAMIID.NotFound`` when *any* named id never
  existed (a deregistered id just returns nothing); applies Owners/Filters together with ImageIds;
  paginates with MaxResults (5-1000) / NextToken.
* ``DescribeImageAttribute``: every ``ImageAttributeName`` works (moto crashed on imdsSupport,
  tpmSupport, ...); unknown AMIs give ``InvalidAMIID.NotFound`` instead of a 500.
* ``ModifyImageAttribute``: description, imdsSupport (only ``v2.0``) and launch permissions
  (UserId / Group ``all`` / OrganizationArn / OrganizationalUnitArn, in both the ``LaunchPermission``
  form and the ``OperationType`` + lists form; moto used only the first org/OU/group of the lists).
* ``ResetImageAttribute`` (``launchPermission``) clears launch permissions (moto: NotImplementedError).
* ``DisableImage`` also removes all launch permissions, as AWS does.
* ``EnableImageDeprecation`` / ``DisableImageDeprecation`` (moto: not implemented). ``DeprecateAt``
  is rounded to the minute and must be in the future and at most 10 years ahead (2 for public AMIs).

Escape hatches (tags on ``RegisterImage`` with ResourceType ``image``; consumed, never stored as tags,
so DescribeImages/DescribeTags do not show them; any other ``emulator:`` key is rejected):

* ``emulator:creation-date`` = ISO-8601 time -> ``CreationDate`` (AWS never lets a client set it).
* ``emulator:owner-id`` = 12-digit account -> ``OwnerId`` (an image from a third-party account).
* ``emulator:owner-alias`` = ``amazon`` | ``aws-marketplace`` | ``aws-backup-vault`` -> ``ImageOwnerAlias``.
* ``emulator:deprecation-time`` = ISO-8601 time, past allowed -> ``DeprecationTime``.

Not modelled: cross-account visibility (an image with a foreign owner is visible to the account whose
backend holds it, as if shared), owner-only checks on Disable/Modify, LastLaunchedTime, the automatic
two-year deprecation of public AMIs, DeleteAssociatedSnapshots on DeregisterImage.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.ec2.exceptions import AuthFailureRestricted, InvalidTaggableResourceType
from moto.ec2.models.amis import Ami
from moto.ec2.responses.amis import AmisResponse

from . import ec2_allowed_images as allowed_images
from . import ec2_image_model as model
from .ec2_image_model import extras, invalid_parameter
from .patches import original, patch_attr

_SIMPLE_ATTRIBUTES: dict[str, tuple[str, str]] = {
    "description": ("Description", "description"),
    "kernel": ("KernelId", "kernel_id"),
    "ramdisk": ("RamdiskId", "ramdisk_id"),
    "sriovNetSupport": ("SriovNetSupport", "sriov_net_support"),
    "bootMode": ("BootMode", "boot_mode"),
    "tpmSupport": ("TpmSupport", "tpm_support"),
    "uefiData": ("UefiData", "uefi_data"),
    "imdsSupport": ("ImdsSupport", "imds_support"),
}


def register_image(self: Any) -> ActionResult:
    self.error_on_dryrun()
    backend = self.ec2_backend
    tags: list[dict[str, str]] = []
    for spec in self._get_param("TagSpecifications", []):
        if spec.get("ResourceType") != "image":
            raise InvalidTaggableResourceType(spec.get("ResourceType"))
        tags += spec.get("Tags", [])
    real_tags, hatches = model.split_escape_hatches(tags)
    model.validate_escape_hatches(hatches)
    requested_bdm = self._get_param("BlockDeviceMappings", [])
    mappings = model.build_block_device_mappings(backend, requested_bdm)

    ami = backend.register_image(self._get_param("Name"), self._get_param("Description"))
    root_device = self._get_param("RootDeviceName") or (mappings[0]["DeviceName"] if mappings else None)
    ami.root_device_name = root_device or ami.root_device_name
    if mappings:
        backend.snapshots.pop(ami.ebs_snapshot.id, None)
        extras(ami).block_device_mappings = mappings
    root_is_ebs = any(m["DeviceName"] == ami.root_device_name and "Ebs" in m for m in mappings)
    image_location = self._get_param("ImageLocation")
    ami.root_device_type = "instance-store" if image_location and not root_is_ebs else "ebs"
    ami.image_location = image_location
    ami.architecture = self._get_param("Architecture") or "i386"
    ami.virtualization_type = self._get_param("VirtualizationType") or "paravirtual"
    ami.boot_mode = self._get_param("BootMode")
    ami.kernel_id = self._get_param("KernelId")
    ami.hypervisor = "xen"
    image_extras = extras(ami)
    image_extras.imds_support = self._get_param("ImdsSupport")
    image_extras.ena_support = self._get_param("EnaSupport")
    image_extras.tpm_support = self._get_param("TpmSupport")
    image_extras.sriov_net_support = self._get_param("SriovNetSupport")
    image_extras.uefi_data = self._get_param("UefiData")
    image_extras.ramdisk_id = self._get_param("RamdiskId")
    if real_tags:
        ami.add_tags(real_tags)
    model.apply_escape_hatches(ami, hatches)
    return ActionResult({"ImageId": ami.id})


def describe_images(self: Any) -> ActionResult:
    self.error_on_dryrun()
    backend = self.ec2_backend
    ami_ids: list[str] = self._get_param("ImageIds", [])
    model.check_ids_exist(backend, ami_ids)
    images = backend.describe_images(
        filters=self._filters_from_querystring(),
        exec_users=self._get_param("ExecutableUsers", []),
        owners=self._get_param("Owners", []),
    )
    if ami_ids:
        wanted = set(ami_ids)
        images = [ami for ami in images if ami.id in wanted]
    include_disabled = bool(self._get_param("IncludeDisabled", False))
    include_deprecated = bool(self._get_param("IncludeDeprecated", False))
    visible = [
        ami
        for ami in sorted(images, key=lambda image: str(image.id))
        if model.is_visible(
            ami,
            self.current_account,
            explicit=bool(ami_ids),
            include_disabled=include_disabled,
            include_deprecated=include_deprecated,
        )
        and allowed_images.is_discoverable(ami)
    ]
    page, next_token = _paginate(visible, self._get_param("MaxResults"), self._get_param("NextToken"))
    return ActionResult({"Images": page, "NextToken": next_token})


def _paginate(items: list[Any], max_results: int | None, token: str | None) -> tuple[list[Any], str | None]:
    if max_results is not None and not 5 <= int(max_results) <= 1000:
        raise invalid_parameter("Value for parameter MaxResults must be between 5 and 1000")
    try:
        start = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
    except ValueError:
        raise invalid_parameter(f"Invalid NextToken '{token}'") from None
    if max_results is None:
        return items[start:], None
    end = start + int(max_results)
    next_token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], next_token


def describe_image_attribute(self: Any) -> ActionResult:
    attribute = self._get_param("Attribute")
    self.error_on_dryrun()
    if attribute == "blockDeviceMapping":
        raise AuthFailureRestricted
    ami = model.get_image(self.ec2_backend, self._get_param("ImageId"))
    result: dict[str, Any] = {"ImageId": ami.id}
    if attribute == "launchPermission":
        result["LaunchPermissions"] = list(ami.launch_permissions)
    elif attribute == "productCodes":
        result["ProductCodes"] = [
            {"ProductCodeId": code, "ProductCodeType": "marketplace"} for code in ami.product_codes
        ]
    elif attribute == "lastLaunchedTime":
        result["LastLaunchedTime"] = {}
    elif attribute == "deregistrationProtection":
        result["DeregistrationProtection"] = {"Value": "disabled"}
    elif attribute in _SIMPLE_ATTRIBUTES:
        member, python_name = _SIMPLE_ATTRIBUTES[attribute]
        result[member] = {"Value": getattr(ami, python_name, None)}
    else:
        raise invalid_parameter(f"Value ({attribute}) for parameter attribute is invalid. Unknown attribute.")
    return ActionResult(result)


def modify_image_attribute(self: Any) -> EmptyResult:
    ami = model.get_image(self.ec2_backend, self._get_param("ImageId"))
    attribute = self._get_param("Attribute")
    value = self._get_param("Value")
    description = self._get_param("Description")
    imds = self._get_param("ImdsSupport")
    self.error_on_dryrun()
    if attribute == "description" or description is not None:
        ami.description = value if value is not None else (description or {}).get("Value")
    elif attribute == "imdsSupport" or imds is not None:
        requested = value if value is not None else (imds or {}).get("Value")
        if requested != "v2.0":
            raise invalid_parameter(f"Value ({requested}) for parameter imdsSupport is invalid.")
        extras(ami).imds_support = "v2.0"
    else:
        launch_permission = self._get_param("LaunchPermission") or {}
        add = list(launch_permission.get("Add") or [])
        remove = list(launch_permission.get("Remove") or [])
        operation = self._get_param("OperationType")
        if operation is not None:
            if operation not in ("add", "remove"):
                raise invalid_parameter(f"Value ({operation}) for parameter operationType is invalid.")
            listed = model.permissions_from_lists(
                {name: self._get_param(name, []) for name in model.PERMISSION_LIST_PARAMS}
            )
            (add if operation == "add" else remove).extend(listed)
        model.modify_launch_permissions(ami, add, remove)
    return EmptyResult()


def reset_image_attribute(self: Any) -> EmptyResult:
    ami = model.get_image(self.ec2_backend, self._get_param("ImageId"))
    attribute = self._get_param("Attribute")
    self.error_on_dryrun()
    if attribute != "launchPermission":
        raise invalid_parameter(f"Value ({attribute}) for parameter attribute is invalid. Unknown attribute.")
    ami.launch_permissions.clear()
    return EmptyResult()


def disable_image(self: Any) -> ActionResult:
    ami = model.get_image(self.ec2_backend, self._get_param("ImageId"))
    self.error_on_dryrun()
    ami.state = "disabled"
    ami.launch_permissions.clear()
    return ActionResult({"Return": True})


def enable_image_deprecation(self: Any) -> ActionResult:
    ami = model.get_image(self.ec2_backend, self._get_param("ImageId"))
    deprecate_at = model.parse_time(self._get_param("DeprecateAt"), "DeprecateAt")
    self.error_on_dryrun()
    rounded = deprecate_at.replace(second=0, microsecond=0)
    if deprecate_at.second >= 30:
        rounded += timedelta(minutes=1)
    now = model.utc_now()
    limit_years = 2 if ami.is_public else 10
    if rounded <= now:
        raise invalid_parameter("The deprecation time can't be in the past.")
    if rounded > now + timedelta(days=365 * limit_years + limit_years // 4):
        raise invalid_parameter(f"The deprecation time can't be more than {limit_years} years in the future.")
    extras(ami).deprecate_at = rounded
    return ActionResult({"Return": True})


def disable_image_deprecation(self: Any) -> ActionResult:
    ami = model.get_image(self.ec2_backend, self._get_param("ImageId"))
    self.error_on_dryrun()
    extras(ami).deprecate_at = None
    return ActionResult({"Return": True})


def _extras_property(name: str) -> property:
    return property(lambda ami: getattr(extras(ami), name))


def _deprecation_time(ami: Any) -> str | None:
    deprecate_at = extras(ami).deprecate_at
    return model.format_millis(deprecate_at) if deprecate_at else None


def _block_device_mappings(ami: Any) -> list[dict[str, Any]]:
    custom = extras(ami).block_device_mappings
    if custom is not None:
        return custom
    mappings: list[dict[str, Any]] = original(Ami, "block_device_mappings").fget(ami)
    return mappings


def _platform_details(ami: Any) -> str:
    return "Windows" if ami.platform == "windows" else "Linux/UNIX"


def _usage_operation(ami: Any) -> str:
    return "RunInstances:0002" if ami.platform == "windows" else "RunInstances"


def install() -> None:
    for name in (
        "imds_support",
        "ena_support",
        "tpm_support",
        "sriov_net_support",
        "uefi_data",
        "ramdisk_id",
    ):
        patch_attr(Ami, name, _extras_property(name))
    patch_attr(Ami, "deprecation_time", property(_deprecation_time))
    patch_attr(Ami, "block_device_mappings", property(_block_device_mappings))
    patch_attr(Ami, "platform_details", property(_platform_details))
    patch_attr(Ami, "usage_operation", property(_usage_operation))
    for handler in (
        register_image,
        describe_images,
        describe_image_attribute,
        modify_image_attribute,
        reset_image_attribute,
        disable_image,
        enable_image_deprecation,
        disable_image_deprecation,
    ):
        patch_attr(AmisResponse, handler.__name__, handler)

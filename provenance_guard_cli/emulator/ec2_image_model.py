"""AMI state the emulator adds to moto's ``Ami`` model, and the AWS rules that act on it.

moto's serializer reads ``Image`` members from ``Ami`` attributes by their snake_case names, so the
extra members (``ImdsSupport``, ``DeprecationTime``, ...) are exposed as properties over an
:class:`ImageExtras` record kept on each ``Ami``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.ec2.exceptions import (
    EC2ClientError,
    InvalidAMIAttributeItemValueError,
    InvalidAMIIdError,
    MalformedAMIIdError,
    UnvailableAMIIdError,
)

TAG_PREFIX = "emulator:"
TAG_CREATION_DATE = "emulator:creation-date"
TAG_OWNER_ID = "emulator:owner-id"
TAG_OWNER_ALIAS = "emulator:owner-alias"
TAG_DEPRECATION_TIME = "emulator:deprecation-time"
ESCAPE_HATCH_TAGS = frozenset({TAG_CREATION_DATE, TAG_OWNER_ID, TAG_OWNER_ALIAS, TAG_DEPRECATION_TIME})
OWNER_ALIASES = frozenset({"amazon", "aws-marketplace", "aws-backup-vault"})

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ORG_ARN = re.compile(r"^arn:aws[a-z-]*:organizations::\d{12}:organization/o-[a-z0-9]{10,32}$")
_OU_ARN = re.compile(r"^arn:aws[a-z-]*:organizations::\d{12}:ou/o-[a-z0-9]{10,32}/ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$")


@dataclass
class ImageExtras:
    imds_support: str | None = None
    ena_support: bool | None = None
    tpm_support: str | None = None
    sriov_net_support: str | None = None
    uefi_data: str | None = None
    ramdisk_id: str | None = None
    deprecate_at: datetime | None = None
    block_device_mappings: list[dict[str, Any]] | None = None


def extras(ami: Any) -> ImageExtras:
    found: ImageExtras | None = ami.__dict__.get("_pg_extras")
    if found is None:
        found = ImageExtras()
        ami._pg_extras = found
    return found


def invalid_parameter(message: str) -> EC2ClientError:
    return EC2ClientError("InvalidParameterValue", message)


def utc_now() -> datetime:
    return datetime.now(UTC)


def parse_time(value: object, parameter: str) -> datetime:
    """An ISO-8601 string (or datetime) as an aware UTC datetime; naive values are taken as UTC."""
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            raise invalid_parameter(f"Invalid value '{value}' for {parameter}: expected ISO-8601") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def format_millis(value: datetime) -> str:
    """AWS's AMI timestamp form: ``2024-05-01T12:00:00.000Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def is_deprecated(ami: Any, now: datetime) -> bool:
    deprecate_at = extras(ami).deprecate_at
    return deprecate_at is not None and deprecate_at <= now


def get_image(backend: Any, ami_id: str) -> Any:
    """The AMI, or the error AWS gives for a malformed, unknown or deregistered id."""
    if ami_id in backend.amis:
        return backend.amis[ami_id]
    if ami_id in backend.deleted_amis:
        raise UnvailableAMIIdError(ami_id)
    if not ami_id.startswith("ami-"):
        raise MalformedAMIIdError([ami_id])
    raise InvalidAMIIdError(ami_id)


def check_ids_exist(backend: Any, ami_ids: list[str]) -> None:
    """DescribeImages fails when any requested id never existed (deregistered ones just don't appear)."""
    malformed = [ami_id for ami_id in ami_ids if not ami_id.startswith("ami-")]
    if malformed:
        raise MalformedAMIIdError(malformed)
    missing = [ami_id for ami_id in ami_ids if ami_id not in backend.amis and ami_id not in backend.deleted_amis]
    if missing:
        raise InvalidAMIIdError(missing)


def is_visible(ami: Any, caller: str, *, explicit: bool, include_disabled: bool, include_deprecated: bool) -> bool:
    """DescribeImages hides disabled AMIs, and deprecated AMIs of other owners, unless asked or named."""
    if ami.state == "disabled" and not (include_disabled or explicit):
        return False
    if ami.owner_id != caller and is_deprecated(ami, utc_now()):
        return include_deprecated or explicit
    return True


def split_escape_hatches(tags: list[dict[str, str]]) -> tuple[dict[str, str], dict[str, str]]:
    """(real tags, escape-hatch tags); an unknown ``emulator:`` key is an error, so typos are loud."""
    real: dict[str, str] = {}
    hatches: dict[str, str] = {}
    for tag in tags:
        key, value = tag["Key"], tag.get("Value", "")
        if not key.startswith(TAG_PREFIX):
            real[key] = value
        elif key in ESCAPE_HATCH_TAGS:
            hatches[key] = value
        else:
            raise invalid_parameter(f"Unknown emulator tag '{key}'; known: {sorted(ESCAPE_HATCH_TAGS)}")
    return real, hatches


def validate_escape_hatches(hatches: dict[str, str]) -> None:
    for key in (TAG_CREATION_DATE, TAG_DEPRECATION_TIME):
        if key in hatches:
            parse_time(hatches[key], key)
    if TAG_OWNER_ID in hatches and not _ACCOUNT_ID.match(hatches[TAG_OWNER_ID]):
        raise invalid_parameter(f"{TAG_OWNER_ID} must be a 12-digit account id")
    if TAG_OWNER_ALIAS in hatches and hatches[TAG_OWNER_ALIAS] not in OWNER_ALIASES:
        raise invalid_parameter(f"{TAG_OWNER_ALIAS} must be one of {sorted(OWNER_ALIASES)}")


def apply_escape_hatches(ami: Any, hatches: dict[str, str]) -> None:
    if TAG_CREATION_DATE in hatches:
        # moto keeps CreationDate as a naive UTC datetime.
        ami.creation_date = parse_time(hatches[TAG_CREATION_DATE], TAG_CREATION_DATE).replace(tzinfo=None)
    if TAG_DEPRECATION_TIME in hatches:
        extras(ami).deprecate_at = parse_time(hatches[TAG_DEPRECATION_TIME], TAG_DEPRECATION_TIME)
    if TAG_OWNER_ID in hatches:
        ami.owner_id = hatches[TAG_OWNER_ID]
    if TAG_OWNER_ALIAS in hatches:
        ami.owner_alias = hatches[TAG_OWNER_ALIAS]


def build_block_device_mappings(backend: Any, requested: list[dict[str, Any]]) -> list[dict[str, Any]]:
    mappings: list[dict[str, Any]] = []
    for request in requested:
        mapping: dict[str, Any] = {"DeviceName": request.get("DeviceName")}
        for key in ("VirtualName", "NoDevice"):
            if key in request:
                mapping[key] = request[key]
        if request.get("Ebs") is not None:
            mapping["Ebs"] = _ebs(backend, request["Ebs"])
        mappings.append(mapping)
    return mappings


def _ebs(backend: Any, requested: dict[str, Any]) -> dict[str, Any]:
    """An existing snapshot's encryption wins over the request, as on AWS; unknown snapshot ids are
    accepted (lenient, so fixtures need not create snapshots) and reported as requested."""
    snapshot_id = requested.get("SnapshotId")
    snapshot = backend.snapshots.get(snapshot_id) if snapshot_id else None
    if snapshot is not None:
        encrypted = bool(snapshot.encrypted)
        # moto's CreateSnapshot drops the volume's key id; the volume still has it.
        kms_key_id = (snapshot.kms_key_id or getattr(snapshot.volume, "kms_key_id", None)) if encrypted else None
        size = requested.get("VolumeSize") or getattr(snapshot.volume, "size", None)
    else:
        encrypted = bool(requested.get("Encrypted", False))
        kms_key_id = requested.get("KmsKeyId")
        size = requested.get("VolumeSize")
    ebs: dict[str, Any] = {
        "DeleteOnTermination": requested.get("DeleteOnTermination", True),
        "SnapshotId": snapshot_id,
        "VolumeSize": size,
        "VolumeType": requested.get("VolumeType", "gp2"),
        "Encrypted": encrypted,
    }
    if kms_key_id:
        ebs["KmsKeyId"] = kms_key_id
    for key in ("Iops", "Throughput"):
        if key in requested:
            ebs[key] = requested[key]
    return {key: value for key, value in ebs.items() if value is not None}


def validate_permissions(permissions: list[dict[str, str]]) -> None:
    for permission in permissions:
        if "UserId" in permission and not _ACCOUNT_ID.match(permission["UserId"]):
            raise InvalidAMIAttributeItemValueError("userId", permission["UserId"])
        if "Group" in permission and permission["Group"] != "all":
            raise InvalidAMIAttributeItemValueError("UserGroup", permission["Group"])
        if "OrganizationArn" in permission and not _ORG_ARN.match(permission["OrganizationArn"]):
            raise InvalidAMIAttributeItemValueError("organizationArn", permission["OrganizationArn"])
        if "OrganizationalUnitArn" in permission and not _OU_ARN.match(permission["OrganizationalUnitArn"]):
            raise InvalidAMIAttributeItemValueError("organizationalUnitArn", permission["OrganizationalUnitArn"])


def modify_launch_permissions(ami: Any, add: list[dict[str, str]], remove: list[dict[str, str]]) -> None:
    validate_permissions(add + remove)
    if add and ami.state == "disabled":
        raise EC2ClientError("InvalidParameterValue", f"The image '{ami.id}' is disabled and can't be shared.")
    for permission in add:
        if permission not in ami.launch_permissions:
            ami.launch_permissions.append(dict(permission))
    for permission in remove:
        if permission in ami.launch_permissions:
            ami.launch_permissions.remove(permission)


PERMISSION_LIST_PARAMS: dict[str, str] = {
    "UserIds": "UserId",
    "UserGroups": "Group",
    "OrganizationArns": "OrganizationArn",
    "OrganizationalUnitArns": "OrganizationalUnitArn",
}


def permissions_from_lists(params: dict[str, list[str]]) -> list[dict[str, str]]:
    """Launch permissions given in the ``OperationType`` + ``UserIds``/``UserGroups``/... form."""
    return [{key: value} for param, key in PERMISSION_LIST_PARAMS.items() for value in params.get(param) or []]

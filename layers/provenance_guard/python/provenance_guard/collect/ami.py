"""Reads an AMI and its launch permissions into an `AmiSnapshot`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.base import Kind, RunCache
from provenance_guard.collect.imagebuilder import GET_IMAGE, ImageBuilderReader, ImageBuilderUnreadableError
from provenance_guard.model import ArnFormat, ResourceKind, ResourceRef

AMI = ResourceKind("ami", asff_type="Other", arn=ArnFormat("ec2", "image/", with_account=False), family="AMI")
"""ASFF has no AMI resource type (research/securityhub.md §6): `Other`, with `Details.Other`."""
DESCRIBE_IMAGES = "ec2:DescribeImages"
DESCRIBE_IMAGE_ATTRIBUTE = "ec2:DescribeImageAttribute"
LIST_PAGE_SIZE = 1000
"""Page size of the EC2 list calls (their maximum): without one, EC2 may answer a large account slowly
or not at all within one call."""
IMAGE_BUILDER_ARN_TAG = "Ec2ImageBuilderArn"
"""Tag EC2 Image Builder puts on every AMI it distributes, naming the Image Builder image."""

NOT_FOUND_CODES = frozenset({"InvalidAMIID.NotFound", "InvalidAMIID.Unavailable", "InvalidAMIID.Malformed"})


@dataclass(frozen=True)
class LaunchPermission:
    """One entry of the AMI's launchPermission attribute."""

    kind: str  # "group" (value "all" = public), "account", "organization", "ou"
    value: str


@dataclass(frozen=True)
class BlockDevice:
    device_name: str
    snapshot_id: str | None
    encrypted: bool | None  # None for ephemeral (instance store) devices


@dataclass(frozen=True)
class AmiSnapshot:
    """Everything the AMI controls judge, as read from EC2 at `observed_at`."""

    ref: ResourceRef
    name: str
    owner_id: str
    owner_alias: str | None
    state: str
    public: bool
    creation_date: datetime | None
    deprecation_time: datetime | None
    imds_support: str | None
    block_devices: tuple[BlockDevice, ...]
    tags: Mapping[str, str]
    launch_permissions: tuple[LaunchPermission, ...] | None
    """None when the evaluating account cannot read them (it does not own the AMI)."""
    image_builder_image_arn: str | None
    source_pipeline_arn: str | None
    recipe_components: tuple[str, ...] | None = None
    """Component ARNs of the Image Builder recipe that built the AMI; None when not built by Image
    Builder or when the image could not be read (`image_builder_error` says why)."""
    image_builder_error: str | None = None

    def asff_details(self) -> dict[str, dict[str, str]]:
        """ASFF has no AMI resource type: `Resources[0].Details.Other` (≤50 string pairs)."""
        other = {
            "ImageId": self.ref.name,
            "Name": self.name or "-",
            "OwnerId": self.owner_id,
            "State": self.state,
            "CreationDate": self.creation_date.isoformat() if self.creation_date else "-",
            "DeprecationTime": self.deprecation_time.isoformat() if self.deprecation_time else "-",
            "ImdsSupport": self.imds_support or "-",
        }
        return {"Other": {key: value[:1000] for key, value in other.items()}}


class AmiCollector:
    """Reads AMIs with `ec2:DescribeImages` and `ec2:DescribeImageAttribute`; with the pipeline's run
    cache, an AMI a sweep page listed is not described again (its `DescribeImages` entry is in the page)."""

    def __init__(self, clients: ClientFactory, run: RunCache | None = None) -> None:
        self._clients = clients
        self._run = run
        self._image_builder = ImageBuilderReader(clients)

    def collect(self, ref: ResourceRef) -> AmiSnapshot | None:
        """The AMI's snapshot for judging the AMI itself, or None when it can no longer be launched
        (deregistered, disabled, never existed): its findings are then archived (CONTROLS.md §2)."""
        snapshot = self.read(ref)
        return None if snapshot is None or snapshot.state == "disabled" else snapshot

    def read(self, ref: ResourceRef, *, launch_permissions: bool = True) -> AmiSnapshot | None:
        """The AMI's snapshot in any state (an instance's AMI may be disabled), or None when it is gone.
        Without `launch_permissions` (an instance's AMI), they are not read and stay None."""
        from botocore.exceptions import ClientError

        ec2 = self._clients.client("ec2", ref.region)
        image = self._run.listed(ref) if self._run is not None else None
        if image is None:
            try:
                images = ec2.describe_images(ImageIds=[ref.name], IncludeDeprecated=True, IncludeDisabled=True)
            except ClientError as error:
                if error.response["Error"]["Code"] in NOT_FOUND_CODES:
                    return None
                raise
            if not images["Images"]:
                return None
            image = images["Images"][0]
        owned = image.get("OwnerId") == ref.account
        permissions = self._launch_permissions(ec2, ref) if owned and launch_permissions else None
        return self._with_image_builder(snapshot_from_image(ref, image, permissions))

    def _with_image_builder(self, snapshot: AmiSnapshot) -> AmiSnapshot:
        """Add the pipeline and recipe components when Image Builder made the AMI."""
        if not snapshot.image_builder_image_arn:
            return snapshot
        try:
            image = self._image_builder.image(snapshot.image_builder_image_arn)
        except ImageBuilderUnreadableError as error:
            return replace(snapshot, image_builder_error=str(error))
        return replace(snapshot, source_pipeline_arn=image.pipeline_arn, recipe_components=image.components)

    @staticmethod
    def _launch_permissions(ec2: Any, ref: ResourceRef) -> tuple[LaunchPermission, ...]:
        response = ec2.describe_image_attribute(ImageId=ref.name, Attribute="launchPermission")
        return tuple(_launch_permission(entry) for entry in response.get("LaunchPermissions", []))


def snapshot_from_image(
    ref: ResourceRef, image: Mapping[str, Any], permissions: tuple[LaunchPermission, ...] | None
) -> AmiSnapshot:
    """Build a snapshot from one `DescribeImages` entry (shared with the sweep's paged reads)."""
    tags = {t["Key"]: t["Value"] for t in image.get("Tags", [])}
    return AmiSnapshot(
        ref=ref,
        name=image.get("Name", ""),
        owner_id=image.get("OwnerId", ""),
        owner_alias=image.get("ImageOwnerAlias"),
        state=image.get("State", "unknown"),
        public=bool(image.get("Public", False)),
        creation_date=_parse_time(image.get("CreationDate")),
        deprecation_time=_parse_time(image.get("DeprecationTime")),
        imds_support=image.get("ImdsSupport"),
        block_devices=tuple(_block_device(d) for d in image.get("BlockDeviceMappings", [])),
        tags=tags,
        launch_permissions=permissions,
        image_builder_image_arn=tags.get(IMAGE_BUILDER_ARN_TAG),
        source_pipeline_arn=None,
    )


def ami_ref(image_id: str, account: str, region: str, partition: str = "aws") -> ResourceRef:
    return ResourceRef(AMI, image_id, account, region, partition)


def listed_amis(clients: ClientFactory, region: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The sweep's listing: every available AMI the account owns (deprecated ones included), with its
    `DescribeImages` entry (JSON already: EC2 sends its times as strings)."""
    ec2: Any = clients.client("ec2", region)
    pages = ec2.get_paginator("describe_images").paginate(
        Owners=["self"], IncludeDeprecated=True, PaginationConfig={"PageSize": LIST_PAGE_SIZE}
    )
    for page in pages:
        yield from ((image["ImageId"], image) for image in page.get("Images", []) if image.get("State") == "available")


def owned_amis(clients: ClientFactory, region: str) -> Iterator[str]:
    """The sweep's inventory: the names of `listed_amis`."""
    return (name for name, _ in listed_amis(clients, region))


def _launch_permission(entry: Mapping[str, str]) -> LaunchPermission:
    for key, kind in (
        ("Group", "group"),
        ("UserId", "account"),
        ("OrganizationArn", "organization"),
        ("OrganizationalUnitArn", "ou"),
    ):
        if key in entry:
            return LaunchPermission(kind, entry[key])
    return LaunchPermission("unknown", repr(dict(entry)))


def _block_device(mapping: Mapping[str, Any]) -> BlockDevice:
    ebs = mapping.get("Ebs")
    return BlockDevice(
        device_name=mapping.get("DeviceName", "?"),
        snapshot_id=ebs.get("SnapshotId") if ebs else None,
        encrypted=bool(ebs.get("Encrypted", False)) if ebs else None,
    )


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


KINDS = (
    Kind(
        AMI,
        collector=lambda collection: collection.shared(AmiCollector, lambda c: AmiCollector(c.clients, c.run)),
        collector_reads=(DESCRIBE_IMAGES, DESCRIBE_IMAGE_ATTRIBUTE, GET_IMAGE),
        inventory=owned_amis,
        inventory_reads=(DESCRIBE_IMAGES,),
        listing=listed_amis,
    ),
)

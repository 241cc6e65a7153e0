"""EC2 AMI ancestry (moto 5.2.5 records none): ``GetImageAncestry``, ``Image.SourceImageId`` and
``Image.SourceImageRegion`` in DescribeImages, and CopyImage of AMIs other accounts share.

As the EC2 user guide ("ami-ancestry") and API reference document it:

* An AMI made by CreateImage records the AMI its instance was launched from (and that instance's
  Region); one made by CopyImage records the source AMI and ``SourceRegion`` (cross-Region copies
  too). RegisterImage records nothing. The record survives the source's deregistration.
* GetImageAncestry returns the chain from the requested AMI itself (first entry) to its root: each
  entry is ``ImageId``, ``SourceImageId``, ``SourceImageRegion``, ``CreationDate`` and
  ``ImageOwnerAlias`` (when the AMI has one). The walk stops at an AMI with no recorded source, at a
  verified provider's AMI (owner alias ``amazon`` or ``aws-marketplace``, whose entry still names its
  source), or at the 50th entry. An AMI with no recorded source returns just itself. A malformed,
  unknown or deregistered ``ImageId`` fails like DescribeImageAttribute (``InvalidAMIID.Malformed`` /
  ``.NotFound`` / ``.Unavailable``; the API reference lists no specific errors).
* CopyImage finds the source in the caller's account, or in another account that shares it with the
  caller (a ``UserId`` launch permission, or public); anything else is ``InvalidAMIID.NotFound``.
  Copies and images made by CreateImage inherit the source's watermarks (:mod:`.ec2_image_watermarks`).

Modelling choices: a deregistered ancestor keeps its entry (as recorded when it was deregistered) and
the walk goes on through it, since AWS keeps lineage for deregistered AMIs; the verified-provider stop
does not also require the AMI to be public (emulated Amazon AMIs usually are not). Lineage is looked
up in every emulated account, so a chain may pass through AMIs the caller cannot describe.

Not modelled: CreateRestoreImageTask (absent from moto) and the cross-partition stop; CopyImage of
AMIs shared with an organization or OU; copying ImdsSupport, block device mappings and other
:mod:`.ec2_images` extras to the copy (moto copies architecture, virtualization type, kernel, platform).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models import ec2_backends
from moto.ec2.models.amis import Ami, AmiBackend
from moto.ec2.responses.amis import AmisResponse
from moto.ec2.utils import random_ami_id

from . import ec2_image_model as model
from . import ec2_image_watermarks as watermarks
from .patches import original, patch_attr

MAX_ANCESTRY_ENTRIES = 50
VERIFIED_PROVIDERS = frozenset({"amazon", "aws-marketplace"})


@dataclass(frozen=True)
class AncestryEntry:
    image_id: str
    owner_alias: str | None
    creation_date: datetime
    source_image_id: str | None
    source_image_region: str | None

    def as_shape(self) -> dict[str, Any]:
        """The ``ImageAncestryEntry`` shape (members without a value left out)."""
        shape: dict[str, Any] = {
            "CreationDate": self.creation_date,
            "ImageId": self.image_id,
            "ImageOwnerAlias": self.owner_alias,
            "SourceImageId": self.source_image_id,
            "SourceImageRegion": self.source_image_region,
        }
        return {key: value for key, value in shape.items() if value is not None}


@dataclass(frozen=True)
class Source:
    image_id: str
    region: str


def source_of(ami: Any) -> Source | None:
    found: Source | None = ami.__dict__.get("_pg_source")
    return found


def record_source(ami: Any, image_id: str, region: str) -> None:
    """Record that ``ami`` was made from ``image_id`` in ``region`` (CreateImage, CopyImage)."""
    ami._pg_source = Source(image_id, region)


def entry_of(ami: Any) -> AncestryEntry:
    source = source_of(ami)
    return AncestryEntry(
        image_id=ami.id,
        owner_alias=ami.owner_alias,
        creation_date=watermarks.creation_time(ami),
        source_image_id=source.image_id if source else None,
        source_image_region=source.region if source else None,
    )


def retired(backend: Any) -> dict[str, AncestryEntry]:
    """Entries of the backend's deregistered AMIs, kept for the ancestry of what was made from them."""
    found: dict[str, AncestryEntry] = backend.__dict__.setdefault("provenance_guard_retired_images", {})
    return found


def _region_backends(region: str, first_account: str) -> list[Any]:
    """The EC2 backends of ``region`` that exist, ``first_account``'s first (created if need be)."""
    others = [
        backend
        for account, per_region in list(ec2_backends.items())
        if account != first_account and (backend := dict.get(per_region, region)) is not None
    ]
    return [ec2_backends[first_account][region], *others]


def find_image(account: str, region: str, image_id: str) -> Any | None:
    """The live AMI with this id in ``region`` of any emulated account, the caller's first."""
    for backend in _region_backends(region, account):
        if image_id in backend.amis:
            return backend.amis[image_id]
    return None


def find_entry(account: str, region: str, image_id: str) -> AncestryEntry | None:
    live = find_image(account, region, image_id)
    if live is not None:
        return entry_of(live)
    for backend in _region_backends(region, account):
        if image_id in retired(backend):
            return retired(backend)[image_id]
    return None


def ancestry(account: str, ami: Any) -> list[AncestryEntry]:
    entries = [entry_of(ami)]
    while len(entries) < MAX_ANCESTRY_ENTRIES:
        last = entries[-1]
        if last.owner_alias in VERIFIED_PROVIDERS or not last.source_image_id or not last.source_image_region:
            break
        parent = find_entry(account, last.source_image_region, last.source_image_id)
        if parent is None:
            break
        entries.append(parent)
    return entries


def _shared_with(ami: Any, account: str) -> bool:
    return {"Group": "all"} in ami.launch_permissions or {"UserId": account} in ami.launch_permissions


def copyable_image(account: str, region: str, image_id: str) -> Any:
    """The AMI CopyImage may copy: the caller's, or one another account shares with the caller."""
    own = ec2_backends[account][region]
    if image_id in own.amis:
        return own.amis[image_id]
    for backend in _region_backends(region, account)[1:]:
        if image_id in backend.amis and _shared_with(backend.amis[image_id], account):
            return backend.amis[image_id]
    return model.get_image(own, image_id)


def _derive(backend: Any, derived: Any, source_id: str, source_region: str) -> None:
    record_source(derived, source_id, source_region)
    source = find_image(backend.account_id, source_region, source_id)
    if source is not None:
        watermarks.inherit(source, derived)


def create_image(self: Any, instance_id: str, name: str, description: str, tag_specifications: Any) -> Any:
    ami = original(AmiBackend, "create_image")(self, instance_id, name, description, tag_specifications)
    _derive(self, ami, self.get_instance(instance_id).image_id, self.region_name)
    return ami


def copy_image(
    self: Any, source_image_id: str, source_region: str | None, name: str | None = None, description: str | None = None
) -> Any:
    if not source_image_id or not source_region:
        missing = "SourceImageId" if not source_image_id else "SourceRegion"
        raise EC2ClientError("MissingParameter", f"The request must contain the parameter {missing}")
    if source_region not in ec2_backends[self.account_id]:
        raise model.invalid_parameter(f"Value ({source_region}) for parameter SourceRegion is invalid.")
    source = copyable_image(self.account_id, source_region, source_image_id)
    ami = Ami(self, random_ami_id(), instance=None, source_ami=source, name=name, description=description)
    self.amis[ami.id] = ami
    _derive(self, ami, source_image_id, source_region)
    return ami


def deregister_image(self: Any, ami_id: str) -> None:
    ami = self.amis.get(ami_id)
    original(AmiBackend, "deregister_image")(self, ami_id)
    if ami is not None:
        retired(self)[ami_id] = entry_of(ami)


def get_image_ancestry(self: Any) -> ActionResult:
    ami = model.get_image(self.ec2_backend, self._get_param("ImageId"))
    self.error_on_dryrun()
    return ActionResult({"ImageAncestryEntries": [entry.as_shape() for entry in ancestry(self.current_account, ami)]})


def _source_image_id(ami: Any) -> str | None:
    source = source_of(ami)
    return source.image_id if source else None


def _source_image_region(ami: Any) -> str | None:
    source = source_of(ami)
    return source.region if source else None


def install() -> None:
    patch_attr(Ami, "source_image_id", property(_source_image_id))
    patch_attr(Ami, "source_image_region", property(_source_image_region))
    patch_attr(AmiBackend, "create_image", create_image)
    patch_attr(AmiBackend, "copy_image", copy_image)
    patch_attr(AmiBackend, "deregister_image", deregister_image)
    patch_attr(AmisResponse, "get_image_ancestry", get_image_ancestry)

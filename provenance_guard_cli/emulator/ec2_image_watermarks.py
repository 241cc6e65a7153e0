"""EC2 AMI watermarks (moto 5.2.5 has none): ``AttachImageWatermark``, ``DetachImageWatermark`` and
``Image.ImageWatermarks`` in DescribeImages.

As the EC2 API reference and user guide ("ami-watermark") document it:

* The key is ``<caller account>:<WatermarkName>``; the name is 3-128 characters of letters, digits,
  spaces and ``( ) [ ] . / - ' @ _``. Each watermark records the AMI it was first attached to
  (``SourceImageId``, ``SourceImageRegion``, ``SourceImageCreationTime``) and when
  (``WatermarkCreationTime``).
* Only the AMI owner attaches or detaches; at most 5 watermarks per AMI; none on a public AMI, and an
  AMI carrying a watermark cannot be made public (see :mod:`.ec2_account_guardrails`).
* Watermarks are inherited, unchanged, by AMIs derived through CreateImage and CopyImage
  (:func:`inherit`, called by :mod:`.ec2_image_lineage`); detaching one from an AMI leaves its
  derivatives alone. DetachImageWatermark is idempotent (succeeds when the key is not there).

Modelling choices the documentation does not settle: attaching a key the AMI already carries returns
the key and adds nothing; the refusals use ``AuthFailure`` (not the owner), ``ResourceLimitExceeded``
(a sixth watermark) and ``OperationNotPermitted`` (public AMI), with ``InvalidParameterValue`` for a bad
name. A derived AMI inherits the watermarks its source carries at CreateImage/CopyImage time (AWS
inherits what the instance was launched with). The timestamps are second-precise (moto's EC2
serializer drops milliseconds). CreateRestoreImageTask, which also propagates watermarks, is absent
from moto.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.amis import Ami
from moto.ec2.responses.amis import AmisResponse

from . import ec2_image_model as model
from .patches import patch_attr

MAX_WATERMARKS = 5
_NAME = re.compile(r"^[A-Za-z0-9()\[\] ./\-'@_]{3,128}$")


@dataclass(frozen=True)
class Watermark:
    key: str
    source_image_id: str
    source_image_region: str
    source_image_creation_time: datetime
    watermark_creation_time: datetime

    def as_shape(self) -> dict[str, Any]:
        """The ``ImageWatermark`` shape."""
        return {
            "WatermarkKey": self.key,
            "SourceImageRegion": self.source_image_region,
            "SourceImageId": self.source_image_id,
            "SourceImageCreationTime": self.source_image_creation_time,
            "WatermarkCreationTime": self.watermark_creation_time,
        }


def watermarks(ami: Any) -> list[Watermark]:
    found: list[Watermark] = ami.__dict__.setdefault("_pg_watermarks", [])
    return found


def creation_time(ami: Any) -> datetime:
    """moto keeps ``CreationDate`` as a naive UTC datetime."""
    created: datetime = ami.creation_date
    return created.replace(tzinfo=UTC) if created.tzinfo is None else created.astimezone(UTC)


def attach(ami: Any, caller: str, name: str) -> str:
    _check_owner(ami, caller)
    if not isinstance(name, str) or not _NAME.match(name):
        raise model.invalid_parameter(
            f"Value ({name}) for parameter WatermarkName is invalid. It must be 3-128 letters, digits, spaces"
            " or ( ) [ ] . / - ' @ _"
        )
    key = f"{caller}:{name}"
    current = watermarks(ami)
    if any(mark.key == key for mark in current):
        return key
    if ami.is_public:
        raise EC2ClientError("OperationNotPermitted", f"Watermarks can't be attached to the public image {ami.id}.")
    if len(current) >= MAX_WATERMARKS:
        raise EC2ClientError(
            "ResourceLimitExceeded", f"The image {ami.id} already has the maximum of {MAX_WATERMARKS} watermarks."
        )
    current.append(
        Watermark(
            key=key,
            source_image_id=ami.id,
            source_image_region=ami.ec2_backend.region_name,
            source_image_creation_time=creation_time(ami),
            watermark_creation_time=model.utc_now().replace(microsecond=0),
        )
    )
    return key


def detach(ami: Any, caller: str, key: str) -> None:
    _check_owner(ami, caller)
    ami.__dict__["_pg_watermarks"] = [mark for mark in watermarks(ami) if mark.key != key]


def inherit(source: Any, derived: Any) -> None:
    """A derived AMI carries its source's watermarks, each still naming the AMI it was attached to."""
    derived.__dict__["_pg_watermarks"] = list(watermarks(source))


def _check_owner(ami: Any, caller: str) -> None:
    if ami.owner_id != caller:
        raise EC2ClientError("AuthFailure", f"Not authorized for image:{ami.id}")


def attach_image_watermark(self: Any) -> ActionResult:
    ami = model.get_image(self.ec2_backend, self._get_param("ImageId"))
    name = self._get_param("WatermarkName")
    self.error_on_dryrun()
    return ActionResult({"WatermarkKey": attach(ami, self.current_account, name)})


def detach_image_watermark(self: Any) -> ActionResult:
    ami = model.get_image(self.ec2_backend, self._get_param("ImageId"))
    key = self._get_param("WatermarkKey")
    self.error_on_dryrun()
    if not key:
        raise EC2ClientError("MissingParameter", "The request must contain the parameter WatermarkKey")
    detach(ami, self.current_account, key)
    return ActionResult({"Return": True})


def _image_watermarks(ami: Any) -> list[dict[str, Any]] | None:
    return [mark.as_shape() for mark in watermarks(ami)] or None


def install() -> None:
    patch_attr(Ami, "image_watermarks", property(_image_watermarks))
    patch_attr(AmisResponse, "attach_image_watermark", attach_image_watermark)
    patch_attr(AmisResponse, "detach_image_watermark", detach_image_watermark)

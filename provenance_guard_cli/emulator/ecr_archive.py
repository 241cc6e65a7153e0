"""The ECR archive storage class for the emulator (moto 5.2.5 has no UpdateImageStorageClass and reports
no image status; patched onto ``ECRResponse``; DescribeImages itself is :mod:`.ecr`'s).

What AWS documents (ECR API Reference ``UpdateImageStorageClass``, ``ImageDetail``, ``DescribeImagesFilter``;
ECR User Guide "Archiving an image in Amazon ECR"; botocore's ecr 2015-09-21 model):

* ``UpdateImageStorageClass`` (``repositoryName``, ``imageId`` by digest or tag, ``targetStorageClass``
  ``ARCHIVE`` | ``STANDARD``, ``registryId``): ``ARCHIVE`` makes an ACTIVE image ``ARCHIVED`` (it cannot be
  pulled; ``lastArchivedAt``); ``STANDARD`` restores an ARCHIVED image, ``ACTIVATING`` until the restore
  completes (AWS: about 20 minutes; here :data:`restore_seconds`, 0 by default), then ``ACTIVE`` with
  ``lastActivatedAt``. The response has ``registryId``, ``repositoryName``, ``imageId`` and the
  ``imageStatus`` after the call. Unknown repository: RepositoryNotFoundException; unknown image:
  ImageNotFoundException.
* ``DescribeImages`` reports ``imageStatus``, ``lastArchivedAt`` and ``lastActivatedAt``; a listing
  returns ACTIVE images only unless ``filter.imageStatus`` says ``ARCHIVED``, ``ACTIVATING`` or ``ANY``.
* An ECS task cannot start from an archived image (:mod:`.ecs_images`: ``CannotPullContainerError``).

The emulator's own reading where AWS does not say: an image named in ``imageIds`` is described whatever
its status unless a ``filter.imageStatus`` is given (ImageDetail's ``imageStatus`` would otherwise always
be ACTIVE); archiving an image that is not ACTIVE, or restoring one that is not ARCHIVED, is
ImageStorageClassUpdateNotSupportedException. Not modelled: the 90-day minimum storage, lifecycle rules
that archive, the re-scan of a restored image, archived referrers' own events.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.ecr.exceptions import ImageNotFoundException
from moto.ecr.models import ECRBackend, Image
from moto.ecr.responses import ECRResponse

from .patches import patch_attr

ACTIVE, ARCHIVED, ACTIVATING = "ACTIVE", "ARCHIVED", "ACTIVATING"
STATUS_FILTERS = frozenset({ACTIVE, ARCHIVED, ACTIVATING, "ANY"})
restore_seconds = 0.0
"""How long a restore stays ACTIVATING (AWS: about 20 minutes)."""


class InvalidParameterException(ServiceException):
    code = "InvalidParameterException"


class ImageStorageClassUpdateNotSupportedException(ServiceException):
    code = "ImageStorageClassUpdateNotSupportedException"


def status(image: Image) -> str:
    """The image's status now (a restore completes `restore_seconds` after it was asked for)."""
    state: dict[str, Any] = image.__dict__.get("provenance_guard_storage", {})
    current = str(state.get("status", ACTIVE))
    if current == ACTIVATING and datetime.now(UTC) >= state["restore_done_at"]:
        state.update(status=ACTIVE, lastActivatedAt=state["restore_done_at"])
        current = ACTIVE
    return current


def archive_fields(image: Image) -> dict[str, Any]:
    """`imageStatus`, and `lastArchivedAt` / `lastActivatedAt` once they happened, for DescribeImages."""
    current = status(image)
    state: dict[str, Any] = image.__dict__.get("provenance_guard_storage", {})
    fields: dict[str, Any] = {"imageStatus": current}
    for member in ("lastArchivedAt", "lastActivatedAt"):
        if member in state:
            fields[member] = state[member]
    return fields


def selected(images: list[Image], status_filter: str | None, named: bool) -> list[Image]:
    """The images a DescribeImages call returns, by status: a listing shows ACTIVE ones unless filtered;
    images named by id are shown whatever their status unless filtered."""
    if status_filter is not None and status_filter not in STATUS_FILTERS:
        raise InvalidParameterException(f"Invalid parameter at 'filter.imageStatus': {status_filter}")
    wanted = status_filter or ("ANY" if named else ACTIVE)
    return [image for image in images if wanted == "ANY" or status(image) == wanted]


def pullable(image: Image) -> bool:
    return status(image) == ACTIVE


def update_image_storage_class(self: Any) -> ActionResult:
    backend: ECRBackend = self.ecr_backend
    repository_name = str(self._get_param("repositoryName"))
    image_id = self._get_param("imageId") or {}
    target = self._get_param("targetStorageClass")
    if target not in ("ARCHIVE", "STANDARD"):
        raise InvalidParameterException(f"Invalid parameter at 'targetStorageClass': {target}")
    repository = backend._get_repository(repository_name, self._get_param("registryId"))
    image = _image(repository, image_id)
    now = datetime.now(UTC)
    state: dict[str, Any] = image.__dict__.setdefault("provenance_guard_storage", {})
    current = status(image)
    if target == "ARCHIVE":
        if current != ACTIVE:
            raise ImageStorageClassUpdateNotSupportedException(f"The image is {current}, not ACTIVE")
        state.update(status=ARCHIVED, lastArchivedAt=now)
    else:
        if current != ARCHIVED:
            raise ImageStorageClassUpdateNotSupportedException(f"The image is {current}, not ARCHIVED")
        state.update(status=ACTIVATING, restore_done_at=now + timedelta(seconds=restore_seconds))
    identifier = {"imageDigest": image.get_image_digest()}
    if image_id.get("imageTag"):
        identifier["imageTag"] = image_id["imageTag"]
    return ActionResult(
        {
            "registryId": repository.registry_id,
            "repositoryName": repository_name,
            "imageId": identifier,
            "imageStatus": ARCHIVED if target == "ARCHIVE" else ACTIVATING,
        }
    )


def _image(repository: Any, image_id: dict[str, Any]) -> Image:
    digest, tag = image_id.get("imageDigest"), image_id.get("imageTag")
    for image in repository.images:
        if (digest and image.get_image_digest() == digest) or (not digest and tag and tag in image.image_tags):
            found: Image = image
            return found
    shown = f"{{imageDigest:'{digest or 'null'}', imageTag:'{tag or 'null'}'}}"
    raise ImageNotFoundException(image_id=shown, repository_name=repository.name, registry_id=repository.registry_id)


def install() -> None:
    patch_attr(ECRResponse, "update_image_storage_class", update_image_storage_class)

"""Reads EC2 Image Builder images: which pipeline built an AMI, from which recipe components, and
which AMIs (per Region and account) an image distributed."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from provenance_guard.clients import ClientFactory

logger = logging.getLogger(__name__)

GET_IMAGE = "imagebuilder:GetImage"
UNREADABLE_CODES = frozenset({"ResourceNotFoundException", "AccessDeniedException", "ForbiddenException"})


@dataclass(frozen=True)
class DistributedAmi:
    region: str
    image_id: str
    account: str


@dataclass(frozen=True)
class ImageBuilderImage:
    arn: str
    status: str
    pipeline_arn: str | None
    recipe_arn: str | None
    components: tuple[str, ...]
    amis: tuple[DistributedAmi, ...]


@cache
def image_arn_pattern() -> re.Pattern[str]:
    """What GetImage accepts as `imageBuildVersionArn`, from botocore's Image Builder model (botocore does
    not check patterns itself; the service refuses anything else with InvalidParameterValueException).
    Image names in it are lower-case: so is every ARN Image Builder returns (`Image.arn` has the same
    `[a-z0-9-_]+`)."""
    from botocore.loaders import create_loader

    model = create_loader().load_service_model("imagebuilder", "service-2")
    member = model["shapes"]["GetImageRequest"]["members"]["imageBuildVersionArn"]
    return re.compile(model["shapes"][member["shape"]]["pattern"])


class ImageBuilderUnreadableError(LookupError):
    """The image does not exist (any more) or belongs to an account this one cannot read."""


class ImageBuilderReader:
    def __init__(self, clients: ClientFactory) -> None:
        self._clients = clients

    def image(self, arn: str) -> ImageBuilderImage:
        """The image behind an image build version ARN (`arn:aws:imagebuilder:<region>:...:image/...`)."""
        from botocore.exceptions import ClientError

        region = _region_of(arn)
        try:
            response = self._clients.client("imagebuilder", region).get_image(imageBuildVersionArn=arn)
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code in UNREADABLE_CODES:
                raise ImageBuilderUnreadableError(f"{code}: {error.response['Error'].get('Message', '')}") from None
            raise
        return image_from_response(response.get("image", {}), arn)


def image_from_response(image: dict[str, Any], arn: str) -> ImageBuilderImage:
    recipe = image.get("imageRecipe") or {}
    amis = (image.get("outputResources") or {}).get("amis") or []
    return ImageBuilderImage(
        arn=image.get("arn", arn),
        status=(image.get("state") or {}).get("status", "UNKNOWN"),
        pipeline_arn=image.get("sourcePipelineArn"),
        recipe_arn=recipe.get("arn"),
        components=tuple(c["componentArn"] for c in recipe.get("components", []) if c.get("componentArn")),
        amis=tuple(
            DistributedAmi(a["region"], a["image"], a.get("accountId", ""))
            for a in amis
            if a.get("region") and a.get("image")
        ),
    )


def _region_of(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else None

"""DescribeImages filters for the AMI members the emulator adds (moto 5.2.5 rejects them as not
implemented): ``source-image-id``, ``source-image-region``, ``image-watermark-key`` and ``image-allowed``,
as the DescribeImages reference and the "ami-watermark" user guide name them. Values match as moto's
other filters do (``*`` / ``?`` wildcards for strings, ``true`` / ``false`` for ``image-allowed``, which
matches nothing while Allowed AMIs is disabled); ``image-watermark-key`` matches an AMI when any of its
watermark keys matches any of the values.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from moto.ec2 import utils as ec2_utils
from moto.ec2.models.amis import Ami

from . import ec2_allowed_images as allowed_images
from . import ec2_image_lineage as lineage
from . import ec2_image_watermarks as watermarks
from .patches import original, patch_attr


def get_filter_value(self: Any, filter_name: str, method_name: str | None = None) -> Any:
    if filter_name in ("source-image-id", "source-image-region"):
        source = lineage.source_of(self)
        if source is None:
            return None
        return source.image_id if filter_name == "source-image-id" else source.region
    if filter_name == "image-allowed":
        return allowed_images.image_allowed(self)
    return original(Ami, "get_filter_value")(self, filter_name, method_name)


def is_filter_matching(obj: Any, filter_name: str, filter_value: Any) -> bool:
    if filter_name == "image-watermark-key" and isinstance(obj, Ami):
        patterns = filter_value if isinstance(filter_value, list) else [filter_value]
        keys = [mark.key for mark in watermarks.watermarks(obj)]
        return any(fnmatchcase(key, str(pattern)) for key in keys for pattern in patterns)
    matching: bool = original(ec2_utils, "is_filter_matching")(obj, filter_name, filter_value)
    return matching


def install() -> None:
    patch_attr(Ami, "get_filter_value", get_filter_value)
    patch_attr(ec2_utils, "is_filter_matching", is_filter_matching)

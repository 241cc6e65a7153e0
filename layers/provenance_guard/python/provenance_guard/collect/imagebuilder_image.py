"""EC2 Image Builder images as work: an image that became AVAILABLE stands for the AMIs it distributed.

Not judged itself (no finding names an Image Builder image): expanded into the AMIs, per Region.
"""

from __future__ import annotations

import logging

from provenance_guard.collect.ami import AMI
from provenance_guard.collect.base import Collection, Expander, Kind
from provenance_guard.collect.imagebuilder import GET_IMAGE, ImageBuilderReader, ImageBuilderUnreadableError
from provenance_guard.model import ResourceKind, ResourceRef
from provenance_guard.work import Action, Work

logger = logging.getLogger(__name__)

IMAGE_BUILDER_IMAGE = ResourceKind("image-builder-image", asff_type="Other", arn=None)
"""`ResourceRef.name` is the image build version ARN."""


def distributed_ami_work(reader: ImageBuilderReader, ref: ResourceRef) -> list[Work]:
    """Evaluation work for every AMI an Image Builder image distributed to this account, per Region.

    AMIs distributed to other accounts are judged by their own account's deployment.
    """
    try:
        image = reader.image(ref.name)
    except ImageBuilderUnreadableError as error:
        logger.warning("Image Builder image %s cannot be read (%s); nothing to evaluate", ref.name, error)
        return []
    work = []
    for ami in image.amis:
        if ami.account and ami.account != ref.account:
            logger.info("AMI %s in %s belongs to account %s; skipped", ami.image_id, ami.region, ami.account)
            continue
        work.append(Work(Action.EVALUATE, ResourceRef(AMI, ami.image_id, ref.account, ami.region, ref.partition)))
    return work


def _expander(collection: Collection) -> Expander:
    reader = ImageBuilderReader(collection.clients)
    return lambda ref: distributed_ami_work(reader, ref)


KINDS = (Kind(IMAGE_BUILDER_IMAGE, expander=_expander, expander_reads=(GET_IMAGE,)),)

"""Which instances and launch templates reference an AMI (blast radius, "in use by"): EC2's own reverse
lookup, DescribeImageReferences, one call per AMI (pages of `PAGE_SIZE`), at most `MAX_REFERENCES`.

Instances are looked for in the states PG.EC2.1 judges (terminated ones are not in use); launch templates
in the 10 most recent versions (EC2's default depth), by literal `ImageId`: EC2 does not say it follows
`resolve:ssm:` aliases, so a template using one is re-judged by the daily sweep, not by this lookup.
"""

from __future__ import annotations

import logging
from typing import Any

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.ami import AMI
from provenance_guard.collect.base import Usage, Users
from provenance_guard.collect.instance import INSTANCE, LIVE_INSTANCE_STATES
from provenance_guard.collect.launch_template import LAUNCH_TEMPLATE
from provenance_guard.model import ResourceRef

logger = logging.getLogger(__name__)

DESCRIBE_IMAGE_REFERENCES = "ec2:DescribeImageReferences"
MAX_REFERENCES = 500
PAGE_SIZE = 100
AMI_CONTROLS = frozenset({"PG.AMI.1", "PG.AMI.2", "PG.AMI.5"})
"""The AMI controls PG.EC2.1 and PG.EC2.2 depend on."""
RESOURCE_TYPES = [
    {
        "ResourceType": "ec2:Instance",
        "ResourceTypeOptions": [{"OptionName": "state-name", "OptionValues": LIVE_INSTANCE_STATES}],
    },
    {"ResourceType": "ec2:LaunchTemplate"},
]


class AmiReferences:
    def __init__(self, clients: ClientFactory) -> None:
        self._clients = clients

    def __call__(self, ami: ResourceRef) -> Users:
        ec2: Any = self._clients.client("ec2", ami.region)
        pages = ec2.get_paginator("describe_image_references").paginate(
            ImageIds=[ami.name], ResourceTypes=RESOURCE_TYPES, PaginationConfig={"PageSize": PAGE_SIZE}
        )
        found: set[ResourceRef] = set()
        for page in pages:
            for reference in page.get("ImageReferences", []):
                user = _user(str(reference.get("Arn", "")), ami)
                if user is not None:
                    found.add(user)
            if len(found) >= MAX_REFERENCES:
                logger.warning("%s has more than %d references: the rest are not looked up", ami.arn, MAX_REFERENCES)
                return Users(tuple(sorted(found, key=lambda ref: ref.arn))[:MAX_REFERENCES], complete=False)
        return Users(tuple(sorted(found, key=lambda ref: ref.arn)))


def _user(arn: str, ami: ResourceRef) -> ResourceRef | None:
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return None
    _, partition, service, region, account, resource = parts
    for kind in (INSTANCE, LAUNCH_TEMPLATE):
        name = kind.arn.parse(service, resource) if kind.arn else None
        if name is not None:
            return ResourceRef(kind, name, account or ami.account, region or ami.region, partition)
    return None


USAGE = (
    Usage(
        artifact=AMI,
        finds=(INSTANCE, LAUNCH_TEMPLATE),
        controls=AMI_CONTROLS,
        finder=lambda collection: AmiReferences(collection.clients),
        reads=(DESCRIBE_IMAGE_REFERENCES,),
    ),
)

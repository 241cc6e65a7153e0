"""The scheduled sweep: inventories the account's resources and sends them down the same pipeline.

Today it covers the AMIs the account owns, its instances, and its ECR repositories with every image
in them; each resource family adds its inventory here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from provenance_guard.collect.clients import ClientFactory
from provenance_guard.events import Action, EventError, Work
from provenance_guard.model import ResourceKind, ResourceRef, partition_for_region

SWEEP_SOURCES = {("aws.events", "Scheduled Event"), ("provenance-guard", "Sweep Requested")}
INVENTORY_PERMISSIONS = (
    "ec2:DescribeImages",
    "ec2:DescribeInstances",
    "ecr:DescribeRepositories",
    "ecr:DescribeImages",
)
LIVE_INSTANCE_STATES = ["pending", "running", "stopping", "stopped"]


def sweep_scope(event: object) -> tuple[str, str, str]:
    """(account, region, partition) of a scheduled or on-demand sweep event; `EventError` otherwise."""
    if not isinstance(event, Mapping):
        raise EventError("a sweep event is a JSON object")
    if (event.get("source"), event.get("detail-type")) not in SWEEP_SOURCES:
        raise EventError(f"not a sweep event: {event.get('source')} / {event.get('detail-type')}")
    account, region = str(event.get("account", "")), str(event.get("region", ""))
    if not (account.isdigit() and len(account) == 12 and region):
        raise EventError("a sweep event needs a 12-digit account and a region")
    return account, region, partition_for_region(region)


def inventory(clients: ClientFactory, account: str, region: str, partition: str) -> Iterator[Work]:
    """Every resource the sweep judges, as evaluation work."""
    ec2: Any = clients.client("ec2", region)
    for page in ec2.get_paginator("describe_images").paginate(Owners=["self"], IncludeDeprecated=True):
        for image in page.get("Images", []):
            if image.get("State") == "available":
                ref = ResourceRef(ResourceKind.AMI, image["ImageId"], account, region, partition)
                yield Work(Action.EVALUATE, ref)
    for page in ec2.get_paginator("describe_instances").paginate(
        Filters=[{"Name": "instance-state-name", "Values": LIVE_INSTANCE_STATES}]
    ):
        for reservation in page.get("Reservations", []):
            for instance in reservation.get("Instances", []):
                ref = ResourceRef(ResourceKind.INSTANCE, instance["InstanceId"], account, region, partition)
                yield Work(Action.EVALUATE, ref)
    yield from ecr_inventory(clients, account, region, partition)


def ecr_inventory(clients: ClientFactory, account: str, region: str, partition: str) -> Iterator[Work]:
    """Every repository of the account's registry in `region`, then every image digest in it (an
    index and its platform images are separate digests, each judged on its own)."""
    ecr: Any = clients.client("ecr", region)
    for page in ecr.get_paginator("describe_repositories").paginate():
        for repository in page.get("repositories", []):
            name = repository["repositoryName"]
            yield Work(Action.EVALUATE, ResourceRef(ResourceKind.ECR_REPOSITORY, name, account, region, partition))
            for images in ecr.get_paginator("describe_images").paginate(repositoryName=name):
                for image in images.get("imageDetails", []):
                    if image.get("subjectManifestDigest"):
                        continue  # a signature, SBOM or other referrer: not a container image
                    ref = ResourceRef(
                        ResourceKind.ECR_IMAGE, f"{name}@{image['imageDigest']}", account, region, partition
                    )
                    yield Work(Action.EVALUATE, ref)

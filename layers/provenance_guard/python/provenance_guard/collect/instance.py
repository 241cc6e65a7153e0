"""Reads an EC2 instance and the AMI it was launched from into an `InstanceSnapshot`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.ami import AMI, LIST_PAGE_SIZE, AmiCollector, AmiSnapshot
from provenance_guard.collect.base import Collection, Kind, RunCache, entry_time, jsonable
from provenance_guard.model import ArnFormat, ResourceKind, ResourceRef

INSTANCE = ResourceKind("instance", asff_type="AwsEc2Instance", arn=ArnFormat("ec2", "instance/"), family="EC2")
DESCRIBE_INSTANCES = "ec2:DescribeInstances"
LIVE_INSTANCE_STATES = ["pending", "running", "stopping", "stopped"]

NOT_FOUND_CODES = frozenset({"InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed"})
GONE_STATES = frozenset({"terminated", "shutting-down"})
LISTED_KEYS = ("ImageId", "State", "InstanceType", "LaunchTime", "Tags")
"""What the collector reads of a `DescribeInstances` entry (a sweep page carries only these)."""
ASG_TAG = "aws:autoscaling:groupName"
LAUNCH_TEMPLATE_TAG = "aws:ec2launchtemplate:id"


@dataclass(frozen=True)
class InstanceSnapshot:
    ref: ResourceRef
    image_id: str
    state: str
    instance_type: str
    launch_time: datetime | None
    tags: Mapping[str, str]
    ami: AmiSnapshot | None
    """None when the AMI no longer exists (or was never visible to this account)."""

    @property
    def launched_by(self) -> str:
        if ASG_TAG in self.tags:
            return f"Auto Scaling group {self.tags[ASG_TAG]}"
        if LAUNCH_TEMPLATE_TAG in self.tags:
            return f"launch template {self.tags[LAUNCH_TEMPLATE_TAG]}"
        return "RunInstances"

    def asff_details(self) -> dict[str, Any]:
        details: dict[str, Any] = {"ImageId": self.image_id, "Type": self.instance_type}
        if self.launch_time:
            details["LaunchedAt"] = self.launch_time.isoformat()
        return {"AwsEc2Instance": details}


class InstanceCollector:
    """Reads instances with `ec2:DescribeInstances`, and their AMI through the AMI collector."""

    def __init__(self, clients: ClientFactory, amis: AmiCollector, run: RunCache | None = None) -> None:
        self._clients = clients
        self._amis = amis
        self._run = run

    def collect(self, ref: ResourceRef) -> InstanceSnapshot | None:
        """The instance's snapshot, or None once it is terminated or unknown."""
        from botocore.exceptions import ClientError

        instance = self._run.listed(ref) if self._run is not None else None
        if instance is None:
            ec2 = self._clients.client("ec2", ref.region)
            try:
                reservations = ec2.describe_instances(InstanceIds=[ref.name])["Reservations"]
            except ClientError as error:
                if error.response["Error"]["Code"] in NOT_FOUND_CODES:
                    return None
                raise
            instances = [i for r in reservations for i in r.get("Instances", [])]
            if not instances:
                return None
            instance = instances[0]
        if instance.get("State", {}).get("Name") in GONE_STATES:
            return None
        image_id = instance.get("ImageId", "")
        ami_ref = ResourceRef(AMI, image_id, ref.account, ref.region, ref.partition)
        return InstanceSnapshot(
            ref=ref,
            image_id=image_id,
            state=instance.get("State", {}).get("Name", "unknown"),
            instance_type=instance.get("InstanceType", "?"),
            launch_time=entry_time(instance.get("LaunchTime")),
            tags={t["Key"]: t["Value"] for t in instance.get("Tags", [])},
            # PG.EC2.1 judges the AMI's provenance, hardening and age, never its launch permissions.
            ami=self._amis.read(ami_ref, launch_permissions=False) if image_id else None,
        )


def listed_instances(clients: ClientFactory, region: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The sweep's listing: every instance that is not terminated or shutting down, with what the
    collector reads of its `DescribeInstances` entry."""
    ec2: Any = clients.client("ec2", region)
    pages = ec2.get_paginator("describe_instances").paginate(
        Filters=[{"Name": "instance-state-name", "Values": LIVE_INSTANCE_STATES}],
        PaginationConfig={"PageSize": LIST_PAGE_SIZE},
    )
    for page in pages:
        for reservation in page.get("Reservations", []):
            for instance in reservation.get("Instances", []):
                yield instance["InstanceId"], jsonable(instance, LISTED_KEYS)


def live_instances(clients: ClientFactory, region: str) -> Iterator[str]:
    """The sweep's inventory: the names of `listed_instances`."""
    return (name for name, _ in listed_instances(clients, region))


def _collector(collection: Collection) -> InstanceCollector:
    amis = collection.collector(AMI)
    assert isinstance(amis, AmiCollector)
    return InstanceCollector(collection.clients, amis, collection.run)


KINDS = (
    Kind(
        INSTANCE,
        collector=_collector,
        collector_reads=(DESCRIBE_INSTANCES,),
        inventory=live_instances,
        inventory_reads=(DESCRIBE_INSTANCES,),
        listing=listed_instances,
        uses=(AMI,),
    ),
)

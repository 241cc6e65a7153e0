"""Reads an EC2 instance and the AMI it was launched from into an `InstanceSnapshot`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.ami import AMI, LIST_PAGE_SIZE, AmiCollector, AmiSnapshot
from provenance_guard.collect.base import Collection, Kind
from provenance_guard.model import ArnFormat, ResourceKind, ResourceRef

INSTANCE = ResourceKind("instance", asff_type="AwsEc2Instance", arn=ArnFormat("ec2", "instance/"), family="EC2")
DESCRIBE_INSTANCES = "ec2:DescribeInstances"
LIVE_INSTANCE_STATES = ["pending", "running", "stopping", "stopped"]

NOT_FOUND_CODES = frozenset({"InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed"})
GONE_STATES = frozenset({"terminated", "shutting-down"})
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

    def __init__(self, clients: ClientFactory, amis: AmiCollector) -> None:
        self._clients = clients
        self._amis = amis

    def collect(self, ref: ResourceRef) -> InstanceSnapshot | None:
        """The instance's snapshot, or None once it is terminated or unknown."""
        from botocore.exceptions import ClientError

        ec2 = self._clients.client("ec2", ref.region)
        try:
            reservations = ec2.describe_instances(InstanceIds=[ref.name])["Reservations"]
        except ClientError as error:
            if error.response["Error"]["Code"] in NOT_FOUND_CODES:
                return None
            raise
        instances = [i for r in reservations for i in r.get("Instances", [])]
        if not instances or instances[0].get("State", {}).get("Name") in GONE_STATES:
            return None
        instance = instances[0]
        image_id = instance.get("ImageId", "")
        ami_ref = ResourceRef(AMI, image_id, ref.account, ref.region, ref.partition)
        launch_time = instance.get("LaunchTime")
        return InstanceSnapshot(
            ref=ref,
            image_id=image_id,
            state=instance.get("State", {}).get("Name", "unknown"),
            instance_type=instance.get("InstanceType", "?"),
            launch_time=launch_time if isinstance(launch_time, datetime) else None,
            tags={t["Key"]: t["Value"] for t in instance.get("Tags", [])},
            ami=self._amis.read(ami_ref) if image_id else None,
        )


def live_instances(clients: ClientFactory, region: str) -> Iterator[str]:
    """The sweep's inventory: every instance that is not terminated or shutting down."""
    ec2: Any = clients.client("ec2", region)
    pages = ec2.get_paginator("describe_instances").paginate(
        Filters=[{"Name": "instance-state-name", "Values": LIVE_INSTANCE_STATES}],
        PaginationConfig={"PageSize": LIST_PAGE_SIZE},
    )
    for page in pages:
        for reservation in page.get("Reservations", []):
            yield from (instance["InstanceId"] for instance in reservation.get("Instances", []))


def _collector(collection: Collection) -> InstanceCollector:
    amis = collection.collector(AMI)
    assert isinstance(amis, AmiCollector)
    return InstanceCollector(collection.clients, amis)


KINDS = (
    Kind(
        INSTANCE,
        collector=_collector,
        collector_reads=(DESCRIBE_INSTANCES,),
        inventory=live_instances,
        inventory_reads=(DESCRIBE_INSTANCES,),
        uses=(AMI,),
    ),
)

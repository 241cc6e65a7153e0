"""ECS services and standalone tasks (tasks no service owns), read with the images their running tasks
report (PG.ECS.2).

One finding per service, not per task: tasks come and go as a service scales or deploys, the service
stays. A service's snapshot reads its RUNNING tasks (at most `MAX_SERVICE_TASKS`; every task of one
deployment runs the same digests, so a sample that large misses nothing a deployment changes). A task a
service owns is judged through its service, never on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.base import Collection, Kind
from provenance_guard.collect.ecr_image_model import ECR_IMAGE
from provenance_guard.collect.ecs_model import (
    DESCRIBE_SERVICES,
    DESCRIBE_TASKS,
    GONE_CODES,
    LIST_CLUSTERS,
    LIST_SERVICES,
    LIST_TASKS,
    RunningTask,
    cluster_names,
    describe_tasks,
    last_segment,
    pair_from_arn,
    running_task,
    split_pair,
    task_tags,
)
from provenance_guard.collect.ecs_running import RunningImage, RunningImages
from provenance_guard.model import ArnFormat, ResourceKind, ResourceRef

logger = logging.getLogger(__name__)

ECS_SERVICE = ResourceKind(
    "ecs-service",
    asff_type="AwsEcsService",
    arn=ArnFormat("ecs", "service/", name_from_arn=pair_from_arn),
    family="ECS",
)
"""`ResourceRef.name` is `<cluster>/<service>`; the ARN `service/<cluster>/<service>` (ECS's new format)."""
ECS_TASK = ResourceKind(
    "ecs-task",
    asff_type="AwsEcsTask",
    arn=ArnFormat("ecs", "task/", name_from_arn=pair_from_arn),
    family="ECS",
)
"""A task no service owns; `ResourceRef.name` is `<cluster>/<task id>`, the ARN `task/<cluster>/<task id>`."""
MAX_SERVICE_TASKS = 300
GONE_STATUSES = frozenset({"DRAINING", "INACTIVE"})
"""A deleted service is DRAINING while its tasks stop, then INACTIVE."""
READ_RUNNING_TASKS = (LIST_TASKS, DESCRIBE_TASKS)


@dataclass(frozen=True)
class EcsServiceSnapshot:
    ref: ResourceRef
    arn: str
    status: str
    desired_count: int
    running_count: int
    task_definition: str
    launch_type: str | None
    tasks_read: int
    """RUNNING tasks whose containers were read (at most `MAX_SERVICE_TASKS`)."""
    tasks_listed: int
    images: tuple[RunningImage, ...]
    tags: Mapping[str, str]

    @property
    def cluster(self) -> str:
        return split_pair(self.ref.name)[0]

    def asff_details(self) -> dict[str, Any]:
        details: dict[str, Any] = {
            "Cluster": self.cluster,
            "Name": split_pair(self.ref.name)[1],
            "ServiceName": split_pair(self.ref.name)[1],
            "ServiceArn": self.arn,
            "DesiredCount": self.desired_count,
        }
        if self.task_definition:
            details["TaskDefinition"] = self.task_definition
        if self.launch_type:
            details["LaunchType"] = self.launch_type
        return {"AwsEcsService": details}


@dataclass(frozen=True)
class EcsTaskSnapshot:
    ref: ResourceRef
    task: RunningTask
    images: tuple[RunningImage, ...]
    tags: Mapping[str, str]

    def asff_details(self) -> dict[str, Any]:
        ref = self.ref
        details: dict[str, Any] = {
            "ClusterArn": f"arn:{ref.partition}:ecs:{ref.region}:{ref.account}:cluster/{self.task.cluster}",
            "TaskDefinitionArn": self.task.task_definition_arn or "-",
            "Group": self.task.group or "-",
            "Containers": [{"Name": c.name, "Image": c.image} for c in self.task.containers[:20] if c.image],
        }
        if self.task.version is not None:
            details["Version"] = str(self.task.version)
        if self.task.started_at is not None:
            details["StartedAt"] = self.task.started_at.isoformat()
        if self.task.started_by:
            details["StartedBy"] = self.task.started_by
        return {"AwsEcsTask": details}


class EcsServiceCollector:
    """Reads a service with ecs:DescribeServices and its RUNNING tasks with ecs:ListTasks / DescribeTasks;
    the images they run through the ECR image collector."""

    def __init__(self, clients: ClientFactory, images: RunningImages) -> None:
        self._clients = clients
        self._images = images

    def collect(self, ref: ResourceRef) -> EcsServiceSnapshot | None:
        """The service's snapshot, or None once it is deleted (DRAINING, INACTIVE, or its cluster is gone)."""
        from botocore.exceptions import ClientError

        cluster, name = split_pair(ref.name)
        ecs = self._clients.client("ecs", ref.region)
        try:
            services = ecs.describe_services(cluster=cluster, services=[name], include=["TAGS"]).get("services", [])
            if not services or services[0].get("status") in GONE_STATUSES:
                return None
            service = services[0]
            arns = self._running_task_arns(ecs, cluster, name)
        except ClientError as error:
            if error.response["Error"]["Code"] in GONE_CODES:
                return None
            raise
        read = arns[:MAX_SERVICE_TASKS]
        tasks = [t for t in map(running_task, describe_tasks(ecs, cluster, read)) if t.last_status == "RUNNING"]
        if len(arns) > len(read):
            logger.info("%s runs %d tasks; the images of %d were read", ref.arn, len(arns), len(read))
        return EcsServiceSnapshot(
            ref=ref,
            arn=str(service.get("serviceArn", ref.arn)),
            status=str(service.get("status", "ACTIVE")),
            desired_count=int(service.get("desiredCount", 0)),
            running_count=int(service.get("runningCount", 0)),
            task_definition=str(service.get("taskDefinition", "")),
            launch_type=service.get("launchType"),
            tasks_read=len(tasks),
            tasks_listed=len(arns),
            images=self._images.read(tasks, ref.partition),
            tags={str(t["key"]): str(t.get("value", "")) for t in service.get("tags") or () if "key" in t},
        )

    @staticmethod
    def _running_task_arns(ecs: Any, cluster: str, service: str) -> list[str]:
        arns: list[str] = []
        pages = ecs.get_paginator("list_tasks").paginate(cluster=cluster, serviceName=service, desiredStatus="RUNNING")
        for page in pages:
            arns += page.get("taskArns", [])
            if len(arns) >= MAX_SERVICE_TASKS:
                break
        return arns


class EcsTaskCollector:
    """Reads a standalone task with ecs:DescribeTasks; the images it runs through the ECR image collector."""

    def __init__(self, clients: ClientFactory, images: RunningImages) -> None:
        self._clients = clients
        self._images = images

    def collect(self, ref: ResourceRef) -> EcsTaskSnapshot | None:
        """The task's snapshot; None once it is stopped or unknown (its findings are archived), and for a
        task a service owns (judged through the service)."""
        from botocore.exceptions import ClientError

        cluster, task_id = split_pair(ref.name)
        try:
            entries = list(describe_tasks(self._clients.client("ecs", ref.region), cluster, [task_id]))
        except ClientError as error:
            if error.response["Error"]["Code"] in GONE_CODES:
                return None
            raise
        if not entries:
            return None
        task = running_task(entries[0])
        if task.last_status == "STOPPED" or task.desired_status == "STOPPED":
            return None
        if task.service is not None:
            logger.info("%s belongs to service %s; it is judged through the service", ref.arn, task.service)
            return None
        return EcsTaskSnapshot(ref, task, self._images.read([task], ref.partition), task_tags(entries[0]))


def ecs_services(clients: ClientFactory, region: str) -> Iterator[str]:
    """The sweep's inventory: every ACTIVE service of every cluster (`<cluster>/<service>`)."""
    ecs: Any = clients.client("ecs", region)
    for cluster in cluster_names(clients, region):
        for page in ecs.get_paginator("list_services").paginate(cluster=cluster, PaginationConfig={"PageSize": 100}):
            yield from (f"{cluster}/{last_segment(arn)}" for arn in page.get("serviceArns", []))


def standalone_tasks(clients: ClientFactory, region: str) -> Iterator[str]:
    """The sweep's inventory: every RUNNING task no service owns (`<cluster>/<task id>`)."""
    ecs: Any = clients.client("ecs", region)
    for cluster in cluster_names(clients, region):
        for page in ecs.get_paginator("list_tasks").paginate(cluster=cluster, desiredStatus="RUNNING"):
            for entry in describe_tasks(ecs, cluster, page.get("taskArns", [])):
                task = running_task(entry)
                if task.service is None:
                    yield f"{cluster}/{task.task_id}"


def service_ref(cluster: str, service: str, account: str, region: str, partition: str = "aws") -> ResourceRef:
    return ResourceRef(ECS_SERVICE, f"{last_segment(cluster)}/{last_segment(service)}", account, region, partition)


def task_ref(cluster: str, task: str, account: str, region: str, partition: str = "aws") -> ResourceRef:
    return ResourceRef(ECS_TASK, f"{last_segment(cluster)}/{last_segment(task)}", account, region, partition)


def _running_images(collection: Collection) -> RunningImages:
    return collection.shared(RunningImages, lambda c: RunningImages(lambda: c.collector(ECR_IMAGE)))


KINDS = (
    Kind(
        ECS_SERVICE,
        collector=lambda collection: EcsServiceCollector(collection.clients, _running_images(collection)),
        collector_reads=(DESCRIBE_SERVICES, *READ_RUNNING_TASKS),
        inventory=ecs_services,
        inventory_reads=(LIST_CLUSTERS, LIST_SERVICES),
        uses=(ECR_IMAGE,),
    ),
    Kind(
        ECS_TASK,
        collector=lambda collection: EcsTaskCollector(collection.clients, _running_images(collection)),
        collector_reads=(DESCRIBE_TASKS,),
        inventory=standalone_tasks,
        inventory_reads=(LIST_CLUSTERS, *READ_RUNNING_TASKS),
        uses=(ECR_IMAGE,),
    ),
)

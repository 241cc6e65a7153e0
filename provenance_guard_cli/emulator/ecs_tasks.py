"""ECS tasks for the emulator: what a task is, how it is placed and started, how it stops.

Tasks are kept where moto keeps them (``backend.tasks[cluster][arn]``) so that moto's tagging
(TagResource, ListTagsForResource, the Resource Groups Tagging API) keeps working; the operations
that read and write them are in :mod:`.ecs`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.ec2.models import ec2_backends
from moto.ecs.models import Cluster, ContainerInstance, EC2ContainerServiceBackend, TaskDefinition
from moto.moto_api._internal import mock_random

from . import ecs_images
from . import ecs_model as model
from . import ecs_placement as placement
from .ecs_images import Resolution

FARGATE_PLATFORM_VERSION = "1.4.0"


@dataclass(eq=False)
class Container:
    arn: str
    name: str
    image: str
    resolution: Resolution
    runtime_id: str
    cpu: int
    memory: int | None
    memory_reservation: int | None
    last_status: str = "RUNNING"
    reason: str | None = None


@dataclass(eq=False)
class EcsTask:
    """One task. ``task_arn``, ``tags``, ``cluster_arn`` etc. are the names moto's own code reads."""

    id: str
    task_arn: str
    cluster: Cluster
    task_definition: TaskDefinition
    group: str
    started_by: str
    launch_type: str
    capacity_provider_name: str | None
    platform_version: str | None
    tags: list[dict[str, str]]
    overrides: dict[str, Any]
    enable_execute_command: bool
    availability_zone: str
    created_at: datetime
    containers: list[Container] = field(default_factory=list)
    container_instance: ContainerInstance | None = None
    requirements: dict[str, Any] = field(default_factory=dict)
    eni: dict[str, str] | None = None
    service_name: str | None = None
    deployment_id: str | None = None
    desired_status: str = "RUNNING"
    last_status: str = "RUNNING"
    version: int = 1
    stop_code: str | None = None
    stopped_reason: str | None = None
    stopped_at: datetime | None = None

    @property
    def cluster_arn(self) -> str:
        return str(self.cluster.arn)

    @property
    def task_definition_arn(self) -> str:
        return str(self.task_definition.arn)

    @property
    def container_instance_arn(self) -> str | None:
        return str(self.container_instance.container_instance_arn) if self.container_instance else None

    @property
    def family(self) -> str:
        return str(self.task_definition.family)


@dataclass(frozen=True)
class Launch:
    """What to start: the common part of RunTask, StartTask and a service's deployment."""

    cluster: Cluster
    task_definition: TaskDefinition
    count: int
    group: str
    started_by: str = ""
    launch_type: str | None = None
    capacity_provider_strategy: list[dict[str, Any]] | None = None
    network_configuration: dict[str, Any] | None = None
    platform_version: str | None = None
    tags: list[dict[str, str]] = field(default_factory=list)
    overrides: dict[str, Any] = field(default_factory=dict)
    enable_execute_command: bool = False
    service_name: str | None = None
    deployment_id: str | None = None
    resolutions: dict[str, Resolution] | None = None
    container_instances: list[ContainerInstance] | None = None


def resolve_containers(account: str, region: str, task_definition: TaskDefinition) -> dict[str, Resolution]:
    return {
        str(definition["name"]): ecs_images.resolve(account, region, str(definition["image"]))
        for definition in model.container_definitions(task_definition)
    }


def launch(backend: EC2ContainerServiceBackend, spec: Launch) -> tuple[list[EcsTask], list[dict[str, str]]]:
    """Start ``spec.count`` tasks: (the tasks, RunTask-style failures for those that could not be placed)."""
    launch_type, provider = placement.check_launch(
        backend,
        spec.cluster,
        spec.task_definition,
        spec.launch_type,
        spec.capacity_provider_strategy,
        spec.network_configuration,
    )
    resolutions = spec.resolutions or resolve_containers(backend.account_id, backend.region_name, spec.task_definition)
    requirements = placement.requirements(spec.task_definition)
    hosts: list[ContainerInstance | None]
    failures: list[dict[str, str]] = []
    if launch_type == "FARGATE":
        hosts = [None] * spec.count
    else:
        placed, failures = placement.place(backend, spec.cluster, spec.count, requirements, spec.container_instances)
        hosts = list(placed)
    tasks = []
    for host in hosts:
        task = _new_task(backend, spec, launch_type, provider, host, resolutions, requirements)
        by_arn: dict[str, Any] = backend.tasks.setdefault(spec.cluster.name, {})
        by_arn[task.task_arn] = task
        tasks.append(task)
    return tasks, failures


def _new_task(
    backend: EC2ContainerServiceBackend,
    spec: Launch,
    launch_type: str,
    provider: str | None,
    host: ContainerInstance | None,
    resolutions: dict[str, Resolution],
    requirements: dict[str, Any],
) -> EcsTask:
    task_id = mock_random.uuid4().hex
    fargate = launch_type == "FARGATE"
    task = EcsTask(
        id=task_id,
        task_arn=model.arn(backend, f"task/{spec.cluster.name}/{task_id}"),
        cluster=spec.cluster,
        task_definition=spec.task_definition,
        group=spec.group,
        started_by=spec.started_by,
        launch_type=launch_type,
        capacity_provider_name=provider,
        platform_version=_platform_version(spec.platform_version) if fargate else None,
        tags=copy.deepcopy(spec.tags),
        overrides=copy.deepcopy(spec.overrides),
        enable_execute_command=spec.enable_execute_command,
        availability_zone=f"{backend.region_name}a",
        created_at=model.now(),
        container_instance=host,
        requirements=requirements if host else {},
        service_name=spec.service_name,
        deployment_id=spec.deployment_id,
    )
    if host is not None:
        task.availability_zone = str(host.attributes.get("ecs.availability-zone") or task.availability_zone)
    if spec.network_configuration:
        _attach_eni(backend, task, spec.network_configuration["awsvpcConfiguration"])
    for definition in model.container_definitions(spec.task_definition):
        name = str(definition["name"])
        task.containers.append(
            Container(
                arn=model.arn(backend, f"container/{spec.cluster.name}/{task_id}/{mock_random.uuid4()}"),
                name=name,
                image=str(definition["image"]),
                resolution=resolutions[name],
                runtime_id=f"{task_id}-{mock_random.randint(10**9, 10**10 - 1)}" if fargate else _docker_id(),
                cpu=int(definition.get("cpu") or 0),
                memory=definition.get("memory"),
                memory_reservation=definition.get("memoryReservation"),
            )
        )
    failed = [c for c in task.containers if c.resolution.pull_error]
    if failed:
        for container in failed:
            container.reason = container.resolution.pull_error
        stop(backend, task, stop_code="TaskFailedToStart", reason=str(failed[0].resolution.pull_error))
    return task


def _platform_version(requested: str | None) -> str:
    return FARGATE_PLATFORM_VERSION if requested in (None, "LATEST") else str(requested)


def _docker_id() -> str:
    return "".join(mock_random.choice("0123456789abcdef") for _ in range(64))


def _attach_eni(backend: EC2ContainerServiceBackend, task: EcsTask, awsvpc: dict[str, Any]) -> None:
    ec2 = ec2_backends[backend.account_id][backend.region_name]
    subnet = ec2.get_subnet(awsvpc["subnets"][0])
    attachment_id = str(mock_random.uuid4())
    eni = ec2.create_network_interface(
        subnet=subnet,
        private_ip_address="",
        group_ids=awsvpc.get("securityGroups") or None,
        description=model.arn(backend, f"attachment/{attachment_id}"),
    )
    eni.status = "in-use"
    address = str(eni.private_ip_address)
    task.availability_zone = str(subnet.availability_zone)
    task.eni = {
        "attachmentId": attachment_id,
        "subnetId": str(subnet.id),
        "networkInterfaceId": str(eni.id),
        "macAddress": str(eni.mac_address),
        "privateDnsName": getattr(eni, "private_dns_name", None) or f"ip-{address.replace('.', '-')}.ec2.internal",
        "privateIPv4Address": address,
    }


def stop(backend: EC2ContainerServiceBackend, task: EcsTask, *, stop_code: str, reason: str) -> None:
    """Stop a task at once (AWS passes through DEACTIVATING/STOPPING/DEPROVISIONING; the emulator does not)."""
    if task.desired_status == "STOPPED":
        return
    task.desired_status = task.last_status = "STOPPED"
    task.stop_code, task.stopped_reason, task.stopped_at = stop_code, reason, model.now()
    task.version += 1
    for container in task.containers:
        container.last_status = "STOPPED"
    if task.container_instance is not None and task.requirements:
        backend.update_container_instance_resources(task.container_instance, task.requirements, removing=True)
    if task.eni is not None:
        ec2_backends[backend.account_id][backend.region_name].enis.pop(task.eni["networkInterfaceId"], None)


def cluster_tasks(backend: EC2ContainerServiceBackend, cluster: Cluster) -> list[EcsTask]:
    stored: dict[str, Any] = backend.tasks.get(cluster.name) or {}
    return [task for task in stored.values() if isinstance(task, EcsTask)]


def find_task(backend: EC2ContainerServiceBackend, cluster: Cluster, reference: str) -> EcsTask | None:
    """A task of ``cluster`` by ARN or ID (an ARN of another cluster, account or Region finds nothing)."""
    stored: dict[str, Any] = backend.tasks.get(cluster.name) or {}
    arn = reference if reference.startswith("arn:") else model.arn(backend, f"task/{cluster.name}/{reference}")
    found = stored.get(arn)
    return found if isinstance(found, EcsTask) else None

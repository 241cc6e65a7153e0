"""Where an ECS task can run, for the emulator: launch type, capacity providers, networking, EC2 placement."""

from __future__ import annotations

from typing import Any

from moto.ec2.exceptions import InvalidSecurityGroupNotFoundError, InvalidSubnetIdError
from moto.ec2.models import ec2_backends
from moto.ecs.models import Cluster, ContainerInstance, EC2ContainerServiceBackend, TaskDefinition

from . import ecs_model as model

FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")


def effective_launch_type(
    backend: EC2ContainerServiceBackend,
    cluster: Cluster,
    launch_type: str | None,
    strategy: list[dict[str, Any]] | None,
) -> tuple[str, str | None]:
    """(launch type the tasks run with, capacity provider name) for a request's launchType / strategy."""
    if launch_type and strategy:
        raise model.invalid_parameter("Specify either Launch Type or Capacity Provider Strategy, but not both.")
    if launch_type:
        if launch_type not in ("EC2", "FARGATE"):
            raise model.not_modelled(f"launchType {launch_type}")
        return launch_type, None
    strategy = strategy or cluster.default_capacity_provider_strategy or []
    if not strategy:
        return "EC2", None
    provider = str(strategy[0]["capacityProvider"])
    if provider not in (cluster.capacity_providers or []):
        raise model.invalid_parameter(
            "The specified capacity provider strategy cannot contain a capacity provider that is not associated "
            "with the cluster. Associate the capacity provider with the cluster or specify a valid capacity "
            "provider and try again."
        )
    return ("FARGATE" if provider in FARGATE_PROVIDERS else "EC2"), provider


def check_launch(
    backend: EC2ContainerServiceBackend,
    cluster: Cluster,
    task_definition: TaskDefinition,
    launch_type: str | None,
    strategy: list[dict[str, Any]] | None,
    network: dict[str, Any] | None,
) -> tuple[str, str | None]:
    """Validate what a launch asks for: (launch type the tasks run with, capacity provider name)."""
    effective, provider = effective_launch_type(backend, cluster, launch_type, strategy)
    if effective not in task_definition.compatibilities:
        raise model.client_exception(f"Task definition does not support launch_type {effective}.")
    check_network(backend, task_definition, network)
    return effective, provider


def check_network(backend: EC2ContainerServiceBackend, task_definition: TaskDefinition, network: Any) -> None:
    awsvpc = (network or {}).get("awsvpcConfiguration")
    if task_definition.network_mode != "awsvpc":
        if network:
            raise model.invalid_parameter(
                "Network Configuration is not valid for the given networkMode of this task definition."
            )
        return
    if not awsvpc:
        raise model.invalid_parameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.")
    if not awsvpc.get("subnets"):
        raise model.invalid_parameter("subnets can not be empty.")
    ec2 = ec2_backends[backend.account_id][backend.region_name]
    try:
        ec2.describe_subnets(subnet_ids=awsvpc["subnets"])
        if awsvpc.get("securityGroups"):
            ec2.describe_security_groups(group_ids=awsvpc["securityGroups"])
    except (InvalidSubnetIdError, InvalidSecurityGroupNotFoundError) as error:
        raise model.invalid_parameter(
            f"Error retrieving network information: {error.message} (ErrorCode: {error.code})"
        ) from None


def requirements(task_definition: TaskDefinition) -> dict[str, Any]:
    containers = model.container_definitions(task_definition)
    cpu = int(task_definition.cpu) if task_definition.cpu else sum(int(c.get("cpu") or 0) for c in containers)
    memory = (
        int(task_definition.memory)
        if task_definition.memory
        else sum(int(c.get("memory") or c.get("memoryReservation") or 0) for c in containers)
    )
    ports = [m["hostPort"] for c in containers for m in c.get("portMappings") or [] if m.get("hostPort")]
    return {"CPU": cpu, "MEMORY": memory, "PORTS": ports, "PORTS_UDP": []}


def place(
    backend: EC2ContainerServiceBackend,
    cluster: Cluster,
    count: int,
    requirements: dict[str, Any],
    hosts: list[ContainerInstance] | None = None,
) -> tuple[list[ContainerInstance], list[dict[str, str]]]:
    """EC2 placement on the cluster's ACTIVE container instances (or exactly ``hosts``, one task each)."""
    registered = list((backend.container_instances.get(cluster.name) or {}).values())
    candidates = hosts or [i for i in registered if i.status == "ACTIVE"]
    if not candidates:
        raise model.invalid_parameter("No Container Instances were found in your cluster.")
    placed: list[ContainerInstance] = []
    for instance in candidates:
        while len(placed) < count and backend._can_be_placed(instance, requirements):
            backend.update_container_instance_resources(instance, requirements)
            placed.append(instance)
            if hosts:
                break
    failures = []
    if len(placed) < count:
        failures = [
            {"arn": str(instance.container_instance_arn), "reason": lacking(instance, requirements)}
            for instance in candidates
        ]
    return placed, failures


def lacking(instance: ContainerInstance, requirements: dict[str, Any]) -> str:
    remaining = {r["name"]: r for r in instance.remaining_resources}
    if requirements["CPU"] > remaining["CPU"]["integerValue"]:
        return "RESOURCE:CPU"
    if requirements["MEMORY"] > remaining["MEMORY"]["integerValue"]:
        return "RESOURCE:MEMORY"
    return "RESOURCE:PORTS"

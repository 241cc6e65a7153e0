"""ECS services for the emulator: a service owns its tasks and keeps ``desiredCount`` of them RUNNING.

The service scheduler acts at once (AWS takes seconds to minutes): CreateService starts the tasks
of its first deployment, UpdateService with a new deployment replaces every task, a scale change
starts or stops tasks, a stopped task is replaced, DeleteService stops them all. Operations are in
:mod:`.ecs`; this module holds the scheduler and the response shapes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.core.exceptions import ServiceException
from moto.ecs.models import EC2ContainerServiceBackend, Service, TaskDefinition
from moto.moto_api._internal import mock_random

from . import ecs_model as model
from . import ecs_placement as placement
from . import ecs_tasks as tasks
from .ecs_images import Resolution
from .ecs_tasks import EcsTask

MAX_EVENTS = 100
ROLLOUT_REASONS = {"COMPLETED": "completed", "IN_PROGRESS": "in progress"}
DEPLOYMENT_MEMBERS = ("serviceConnectConfiguration", "volumeConfigurations", "vpcLatticeConfigurations")


@dataclass
class Deployment:
    id: str
    task_definition: TaskDefinition
    launch_type: str | None
    capacity_provider_strategy: list[dict[str, Any]] | None
    platform_version: str | None
    network_configuration: dict[str, Any] | None
    resolutions: dict[str, Resolution]
    created_at: datetime
    updated_at: datetime
    echoed: dict[str, Any] = field(default_factory=dict)
    status: str = "PRIMARY"
    failed_tasks: int = 0
    completed: bool = False


@dataclass
class ServiceState:
    """What the emulator knows of a service beyond moto's ``Service`` (kept on it as an attribute)."""

    created_at: datetime
    created_by: str
    settings: dict[str, Any]
    deployments: list[Deployment] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    client_token: str | None = None
    tasks: list[EcsTask] = field(default_factory=list)


STATE_ATTRIBUTE = "provenance_guard_state"


def state(service: Service) -> ServiceState:
    found: ServiceState = getattr(service, STATE_ATTRIBUTE)
    return found


def has_state(service: Service) -> bool:
    return hasattr(service, STATE_ATTRIBUTE)


def attach(service: Service, service_state: ServiceState) -> None:
    setattr(service, STATE_ATTRIBUTE, service_state)


def new_deployment(
    backend: EC2ContainerServiceBackend, task_definition: TaskDefinition, params: dict[str, Any]
) -> Deployment:
    created = model.now()
    return Deployment(
        id=f"ecs-svc/{mock_random.randint(10**18, 10**19 - 1)}",
        task_definition=task_definition,
        launch_type=params.get("launchType"),
        capacity_provider_strategy=copy.deepcopy(params.get("capacityProviderStrategy")),
        platform_version=params.get("platformVersion"),
        network_configuration=copy.deepcopy(params.get("networkConfiguration")),
        resolutions=tasks.resolve_containers(backend.account_id, backend.region_name, task_definition),
        created_at=created,
        updated_at=created,
        echoed={name: copy.deepcopy(params[name]) for name in DEPLOYMENT_MEMBERS if name in params},
    )


def service_tasks(backend: EC2ContainerServiceBackend, service: Service) -> list[EcsTask]:
    """The service's tasks whose desired status is RUNNING (the ones the scheduler keeps)."""
    service_state = state(service)
    service_state.tasks = [task for task in service_state.tasks if task.desired_status == "RUNNING"]
    return list(service_state.tasks)


def reconcile(backend: EC2ContainerServiceBackend, service: Service) -> None:
    """Bring the primary deployment to ``desiredCount`` RUNNING tasks; once it is there, stop the older ones.

    Like a rolling update with AWS's default ``minimumHealthyPercent`` of 100: while the new tasks
    cannot start (image not found, no capacity), the previous deployment's tasks keep running.
    """
    service_state = state(service)
    primary = service_state.deployments[0]
    reason = f"Scaling activity initiated by (deployment {primary.id})"
    current = [t for t in service_tasks(backend, service) if t.deployment_id == primary.id]
    target = _target(backend, service)
    if len(current) > target:
        stop_tasks(backend, service, current[target:], reason)
    elif len(current) < target:
        _start(backend, service, primary, target - len(current), current)
    running = service_tasks(backend, service)
    reached = len([t for t in running if t.deployment_id == primary.id]) == target
    outdated = [t for t in running if t.deployment_id != primary.id]
    if reached:
        stop_tasks(backend, service, outdated, reason)
    live = {t.deployment_id for t in service_tasks(backend, service)}
    service_state.deployments = [primary] + [d for d in service_state.deployments[1:] if d.id in live]
    service.running_count, service.pending_count = len(service_tasks(backend, service)), 0
    primary.updated_at = model.now()
    if not reached:
        return
    changed = bool(outdated) or len(current) != target
    if not primary.completed:
        primary.completed = changed = True
        add_event(service, f"(service {service.name}) (deployment {primary.id}) deployment completed.")
    if changed:
        add_event(service, f"(service {service.name}) has reached a steady state.")


def _target(backend: EC2ContainerServiceBackend, service: Service) -> int:
    if model.scheduling_strategy(service) != "DAEMON":
        return int(service.desired_count)
    instances = (backend.container_instances.get(service.cluster_name) or {}).values()
    service.desired_count = len([i for i in instances if i.status == "ACTIVE"])
    return int(service.desired_count)


def _start(
    backend: EC2ContainerServiceBackend, service: Service, deployment: Deployment, count: int, current: list[EcsTask]
) -> None:
    settings = state(service).settings
    hosts = None
    if model.scheduling_strategy(service) == "DAEMON":
        busy = {t.container_instance_arn for t in current}
        instances = (backend.container_instances.get(service.cluster_name) or {}).values()
        hosts = [i for i in instances if i.status == "ACTIVE" and i.container_instance_arn not in busy]
    spec = tasks.Launch(
        cluster=model.get_cluster(backend, service.cluster_name),
        task_definition=deployment.task_definition,
        count=count,
        group=f"service:{service.name}",
        started_by=deployment.id,
        launch_type=deployment.launch_type,
        capacity_provider_strategy=deployment.capacity_provider_strategy,
        network_configuration=deployment.network_configuration,
        platform_version=deployment.platform_version,
        tags=_task_tags(service, deployment.task_definition),
        enable_execute_command=bool(settings.get("enableExecuteCommand")),
        service_name=service.name,
        deployment_id=deployment.id,
        resolutions=deployment.resolutions,
        container_instances=hosts,
    )
    try:
        started, failures = tasks.launch(backend, spec)
    except ServiceException as error:
        add_event(service, f"(service {service.name}) was unable to place a task. Reason: {error.message}")
        return
    state(service).tasks.extend(started)
    if failures:
        reasons = ", ".join(sorted({f["reason"] for f in failures}))
        add_event(
            service,
            f"(service {service.name}) was unable to place a task because no container instance met all of its "
            f"requirements. Reason: {reasons}.",
        )
    failed = [t for t in started if t.stop_code == "TaskFailedToStart"]
    deployment.failed_tasks += len(failed)
    for task in failed:
        add_event(service, f"(service {service.name}) (task {task.id}) failed to start: {task.stopped_reason}")
    if len(started) > len(failed):
        ids = " ".join(f"(task {t.id})" for t in started if t not in failed)
        add_event(service, f"(service {service.name}) has started {len(started) - len(failed)} tasks: {ids}.")


def _task_tags(service: Service, task_definition: TaskDefinition) -> list[dict[str, str]]:
    settings = state(service).settings
    found: list[dict[str, str]] = []
    if settings.get("enableECSManagedTags"):
        found += [
            {"key": "aws:ecs:clusterName", "value": str(service.cluster_name)},
            {"key": "aws:ecs:serviceName", "value": str(service.name)},
        ]
    propagate = settings.get("propagateTags")
    if propagate == "SERVICE":
        found += copy.deepcopy(service.tags or [])
    elif propagate == "TASK_DEFINITION":
        found += copy.deepcopy(task_definition.tags or [])
    return found


def stop_tasks(backend: EC2ContainerServiceBackend, service: Service, victims: list[EcsTask], reason: str) -> None:
    for task in victims:
        tasks.stop(backend, task, stop_code="ServiceSchedulerInitiated", reason=reason)
    if victims:
        ids = " ".join(f"(task {t.id})" for t in victims)
        add_event(service, f"(service {service.name}) has stopped {len(victims)} running tasks: {ids}.")


def add_event(service: Service, message: str) -> None:
    events = state(service).events
    events.insert(0, {"id": str(mock_random.uuid4()), "createdAt": model.now(), "message": message})
    del events[MAX_EVENTS:]


def describe(backend: EC2ContainerServiceBackend, service: Service, include: list[str] | None) -> dict[str, Any]:
    service_state = state(service)
    primary = service_state.deployments[0]
    fargate = _launch_type(backend, service, primary) == "FARGATE"
    described: dict[str, Any] = {
        "serviceArn": service.arn,
        "serviceName": service.name,
        "clusterArn": service.cluster_arn,
        "status": service.status,
        "desiredCount": service.desired_count,
        "runningCount": service.running_count,
        "pendingCount": service.pending_count,
        "taskDefinition": primary.task_definition.arn,
        "deployments": [_deployment(backend, service, d) for d in service_state.deployments],
        "events": copy.deepcopy(service_state.events),
        "createdAt": service_state.created_at,
        "createdBy": service_state.created_by,
        "schedulingStrategy": model.scheduling_strategy(service),
        "tags": model.tags_member(service.tags, include),
        **copy.deepcopy(service_state.settings),
    }
    described.update(_launch_members(primary, fargate))
    if primary.network_configuration:
        described["networkConfiguration"] = copy.deepcopy(primary.network_configuration)
    return described


def _deployment(backend: EC2ContainerServiceBackend, service: Service, deployment: Deployment) -> dict[str, Any]:
    running = len(
        [t for t in service_tasks(backend, service) if t.deployment_id == deployment.id and t.last_status == "RUNNING"]
    )
    desired = service.desired_count if deployment.status == "PRIMARY" else running
    state_name = "COMPLETED" if deployment.completed and running == desired else "IN_PROGRESS"
    described: dict[str, Any] = {
        "id": deployment.id,
        "status": deployment.status,
        "taskDefinition": deployment.task_definition.arn,
        "desiredCount": desired,
        "pendingCount": 0,
        "runningCount": running,
        "failedTasks": deployment.failed_tasks,
        "createdAt": deployment.created_at,
        "updatedAt": deployment.updated_at,
        "rolloutState": state_name,
        "rolloutStateReason": f"ECS deployment {deployment.id} {ROLLOUT_REASONS[state_name]}.",
        **copy.deepcopy(deployment.echoed),
    }
    described.update(_launch_members(deployment, _launch_type(backend, service, deployment) == "FARGATE"))
    if deployment.network_configuration:
        described["networkConfiguration"] = copy.deepcopy(deployment.network_configuration)
    return described


def _launch_type(backend: EC2ContainerServiceBackend, service: Service, deployment: Deployment) -> str:
    cluster = model.get_cluster(backend, service.cluster_name)
    return placement.effective_launch_type(
        backend, cluster, deployment.launch_type, deployment.capacity_provider_strategy
    )[0]


def _launch_members(deployment: Deployment, fargate: bool) -> dict[str, Any]:
    members: dict[str, Any] = {}
    if deployment.capacity_provider_strategy:
        members["capacityProviderStrategy"] = copy.deepcopy(deployment.capacity_provider_strategy)
    else:
        members["launchType"] = deployment.launch_type or "EC2"
    if fargate:
        members["platformVersion"] = deployment.platform_version or "LATEST"
        runtime = deployment.task_definition.runtime_platform or {}
        members["platformFamily"] = "Linux" if runtime.get("operatingSystemFamily", "LINUX") == "LINUX" else "Windows"
    return members

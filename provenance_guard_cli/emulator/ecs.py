"""ECS tasks for the emulator, patched onto moto 5.2.5's ``EC2ContainerServiceResponse``.

What moto lacks or gets wrong, and what the emulator does instead (services: :mod:`.ecs_service_api`;
task definitions and clusters: :mod:`.ecs_task_definitions`; image digests: :mod:`.ecs_images`):

* moto's tasks drift from RUNNING to STOPPED by themselves as they are described (its state manager),
  have one container whatever the task definition says, no ``imageDigest``, IDs with dashes, and
  RunTask crashed on task-level memory (every Fargate task definition). Here a task stays RUNNING
  until it is stopped, has one container per container definition with ``image``, ``imageDigest``
  (:mod:`.ecs_images`), ``runtimeId`` (Fargate ``<task id>-<n>``, EC2 a 64-hex container id),
  ``lastStatus``, ``cpu``/``memory``/``memoryReservation`` and, for ``awsvpc``, its ENI (a real ENI in
  moto's EC2, deleted when the task stops); the task has ``group``, ``startedBy``, ``launchType``,
  ``capacityProviderName``, ``availabilityZone``, ``connectivity``, ``platformVersion`` /
  ``platformFamily`` (Fargate), ``createdAt``/``startedAt``/``stoppedAt``..., ``stopCode`` and
  ``stoppedReason``, ``version`` (counts state changes) and ``overrides``.
* RunTask / StartTask: ``count`` 1..10; ``group`` defaults to ``family:<family>``; ``tags``,
  ``propagateTags`` TASK_DEFINITION and ``enableECSManagedTags`` (``aws:ecs:clusterName``); launch
  type from ``launchType``, else the strategy's first capacity provider (it must be associated with
  the cluster; FARGATE/FARGATE_SPOT run as Fargate), else the cluster's default strategy, else EC2;
  Fargate needs a compatible task definition and ``awsvpc`` networking (existing subnets and groups);
  EC2 tasks are placed on the cluster's ACTIVE container instances by CPU, memory and host ports
  (``failures`` ``RESOURCE:*`` when they do not fit; ``No Container Instances were found in your
  cluster.`` when there are none). An INACTIVE revision cannot be run. A container image that cannot
  be pulled makes the task STOPPED at once with ``stopCode`` ``TaskFailedToStart``.
* StopTask: STOPPED at once (``stopCode`` ``UserInitiated``, reason ``Task stopped by user`` unless
  given); an unknown task is ``InvalidParameterException`` ``The referenced task was not found.``;
  a service's task is replaced by its service.
* DescribeTasks: only the named cluster's tasks (moto searched every cluster and matched substrings),
  up to 100, unknown ones in ``failures`` with reason ``MISSING``; ``tags`` only with ``include=TAGS``
  (an empty list otherwise, as the AWS CLI reference sample shows).
* ListTasks: ``desiredStatus`` defaults to RUNNING (moto listed every task); ``family`` matches any
  revision (moto: ACTIVE ones only), ``serviceName`` works (moto ignored it; an unknown service is
  ServiceNotFoundException), ``containerInstance``, ``launchType``; ``startedBy`` and ``serviceName``
  cannot be combined with other filters (AWS: ``cannot specify startedBy with other arguments``;
  ``desiredStatus`` is allowed); pages of ``maxResults`` (1..100, default 100) with ``nextToken``.

Not modelled: ``clientToken`` idempotency and ``referenceId`` of RunTask, PENDING/PROVISIONING and
the stopping states (transitions are instantaneous), container exit codes, health checks, task
protection, ExecuteCommand, EXTERNAL and MANAGED_INSTANCES launch types, placement strategies and
constraints (instances are filled in registration order), the retention of stopped tasks (kept until
the emulator is reset, AWS keeps them about an hour).
"""

from __future__ import annotations

import copy
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.exceptions import ServiceNotFoundException
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse

from . import ecs_model as model
from . import ecs_service_api, ecs_services
from . import ecs_tasks as tasks
from .ecs_tasks import EcsTask
from .patches import patch_attr


def run_task(self: Any) -> ActionResult:
    backend: EC2ContainerServiceBackend = self.ecs_backend
    cluster = model.get_cluster(backend, self._get_param("cluster"))
    count = int(self._get_param("count") or 1)
    if not 1 <= count <= 10:
        raise model.invalid_parameter("count must be between 1 and 10.")
    started, failures = tasks.launch(backend, _launch(self, backend, cluster, count))
    return ActionResult({"tasks": [describe_task(t, ["TAGS"]) for t in started], "failures": failures})


def start_task(self: Any) -> ActionResult:
    backend: EC2ContainerServiceBackend = self.ecs_backend
    cluster = model.get_cluster(backend, self._get_param("cluster"))
    registered = backend.container_instances.get(cluster.name) or {}
    references = self._get_param("containerInstances") or []
    if not references:
        raise model.invalid_parameter("Container Instances cannot be empty.")
    hosts = [registered.get(str(reference).rsplit("/", 1)[-1]) for reference in references]
    if None in hosts:
        raise model.invalid_parameter("Container instance not found in the cluster.")
    spec = _launch(self, backend, cluster, len(hosts), launch_type="EC2", container_instances=hosts)
    started, failures = tasks.launch(backend, spec)
    return ActionResult({"tasks": [describe_task(t, ["TAGS"]) for t in started], "failures": failures})


def _launch(self: Any, backend: EC2ContainerServiceBackend, cluster: Any, count: int, **extra: Any) -> tasks.Launch:
    for member in ("placementConstraints", "placementStrategy", "volumeConfigurations"):
        if self._get_param(member):
            raise model.not_modelled(member)
    task_definition = model.resolve_task_definition(backend, self._get_param("taskDefinition"), require_active=True)
    tags = copy.deepcopy(self._get_param("tags") or [])
    if self._get_param("enableECSManagedTags"):
        tags.append({"key": "aws:ecs:clusterName", "value": str(cluster.name)})
    if self._get_param("propagateTags") == "TASK_DEFINITION":
        tags += copy.deepcopy(task_definition.tags or [])
    return tasks.Launch(
        cluster=cluster,
        task_definition=task_definition,
        count=count,
        group=self._get_param("group") or f"family:{task_definition.family}",
        started_by=self._get_param("startedBy") or "",
        launch_type=extra.pop("launch_type", self._get_param("launchType")),
        capacity_provider_strategy=self._get_param("capacityProviderStrategy"),
        network_configuration=self._get_param("networkConfiguration"),
        platform_version=self._get_param("platformVersion"),
        tags=tags,
        overrides=self._get_param("overrides") or {},
        enable_execute_command=bool(self._get_param("enableExecuteCommand")),
        **extra,
    )


def stop_task(self: Any) -> ActionResult:
    backend: EC2ContainerServiceBackend = self.ecs_backend
    cluster = model.get_cluster(backend, self._get_param("cluster"))
    task = tasks.find_task(backend, cluster, str(self._get_param("task")))
    if task is None:
        raise model.invalid_parameter("The referenced task was not found.")
    tasks.stop(backend, task, stop_code="UserInitiated", reason=self._get_param("reason") or "Task stopped by user")
    service = _service_of(backend, task)
    if service is not None and service.status == "ACTIVE":
        ecs_services.reconcile(backend, service)
    return ActionResult({"task": describe_task(task, ["TAGS"])})


def _service_of(backend: EC2ContainerServiceBackend, task: EcsTask) -> Any:
    service = backend.services.get(f"{task.cluster.name}:{task.service_name}") if task.service_name else None
    if service is None or not hasattr(service, "provenance_guard_state"):
        return None
    return service


def describe_tasks(self: Any) -> ActionResult:
    backend: EC2ContainerServiceBackend = self.ecs_backend
    cluster = model.get_cluster(backend, self._get_param("cluster"))
    references = [str(r) for r in self._get_param("tasks") or []]
    if not references:
        raise model.invalid_parameter("Tasks cannot be empty.")
    if len(references) > 100:
        raise model.invalid_parameter("Tasks can have at most 100 items.")
    include = self._get_param("include") or []
    found, failures = [], []
    for reference in references:
        task = tasks.find_task(backend, cluster, reference)
        if task is None:
            missing = (
                reference if reference.startswith("arn:") else model.arn(backend, f"task/{cluster.name}/{reference}")
            )
            failures.append({"arn": missing, "reason": "MISSING"})
        elif task not in found:
            found.append(task)
    return ActionResult({"tasks": [describe_task(t, include) for t in found], "failures": failures})


def list_tasks(self: Any) -> ActionResult:
    backend: EC2ContainerServiceBackend = self.ecs_backend
    cluster = model.get_cluster(backend, self._get_param("cluster"))
    filters = {
        name: self._get_param(name)
        for name in ("family", "serviceName", "startedBy", "containerInstance", "launchType")
    }
    given = {name for name, value in filters.items() if value}
    for exclusive in ("startedBy", "serviceName"):
        if exclusive in given and len(given) > 1:
            raise model.invalid_parameter(f"cannot specify {exclusive} with other arguments")
    desired = self._get_param("desiredStatus") or "RUNNING"
    selected = [t for t in tasks.cluster_tasks(backend, cluster) if t.desired_status == desired]
    if filters["serviceName"]:
        service = backend.services.get(f"{cluster.name}:{filters['serviceName'].rsplit('/', 1)[-1]}")
        if service is None:
            raise ServiceNotFoundException
        selected = [t for t in selected if t.service_name == service.name]
    if filters["family"]:
        selected = [t for t in selected if t.family == filters["family"]]
    if filters["startedBy"]:
        selected = [t for t in selected if t.started_by == filters["startedBy"]]
    if filters["launchType"]:
        selected = [t for t in selected if t.launch_type == filters["launchType"]]
    if filters["containerInstance"]:
        instance = str(filters["containerInstance"]).rsplit("/", 1)[-1]
        selected = [t for t in selected if (t.container_instance_arn or "").endswith(f"/{instance}")]
    arns, token = model.page(
        [t.task_arn for t in selected], self._get_param("maxResults"), self._get_param("nextToken"), default=100
    )
    return ActionResult({"taskArns": arns, "nextToken": token})


def describe_task(task: EcsTask, include: list[str] | None) -> dict[str, Any]:
    fargate = task.launch_type == "FARGATE"
    described: dict[str, Any] = {
        "attachments": [_eni_attachment(task)] if task.eni else [],
        "attributes": [{"name": "ecs.cpu-architecture", "value": _architecture(task)}],
        "availabilityZone": task.availability_zone,
        "clusterArn": task.cluster_arn,
        "connectivity": "CONNECTED",
        "connectivityAt": task.created_at,
        "containers": [_container(task, c) for c in task.containers],
        "cpu": str(task.task_definition.cpu or sum(c.cpu for c in task.containers)),
        "memory": str(
            task.task_definition.memory or sum(c.memory or c.memory_reservation or 0 for c in task.containers)
        ),
        "createdAt": task.created_at,
        "desiredStatus": task.desired_status,
        "enableExecuteCommand": task.enable_execute_command,
        "group": task.group,
        "healthStatus": "UNKNOWN",
        "lastStatus": task.last_status,
        "launchType": task.launch_type,
        "overrides": {"containerOverrides": [{"name": c.name} for c in task.containers], **task.overrides},
        "startedBy": task.started_by or None,
        "tags": model.tags_member(task.tags, include),
        "taskArn": task.task_arn,
        "taskDefinitionArn": task.task_definition_arn,
        "version": task.version,
        "capacityProviderName": task.capacity_provider_name,
        "containerInstanceArn": task.container_instance_arn,
    }
    if task.stop_code != "TaskFailedToStart":
        described.update(pullStartedAt=task.created_at, pullStoppedAt=task.created_at, startedAt=task.created_at)
    if fargate:
        described.update(
            platformVersion=task.platform_version, platformFamily="Linux", ephemeralStorage={"sizeInGiB": 20}
        )
    if task.stopped_at is not None:
        described.update(
            stopCode=task.stop_code,
            stoppedReason=task.stopped_reason,
            stoppingAt=task.stopped_at,
            executionStoppedAt=task.stopped_at,
            stoppedAt=task.stopped_at,
        )
    return {key: value for key, value in described.items() if value is not None}


def _container(task: EcsTask, container: tasks.Container) -> dict[str, Any]:
    described: dict[str, Any] = {
        "containerArn": container.arn,
        "taskArn": task.task_arn,
        "name": container.name,
        "image": container.image,
        "imageDigest": container.resolution.digest,
        "runtimeId": container.runtime_id if container.resolution.pull_error is None else None,
        "lastStatus": container.last_status,
        "reason": container.reason,
        "networkBindings": [],
        "networkInterfaces": (
            [{"attachmentId": task.eni["attachmentId"], "privateIpv4Address": task.eni["privateIPv4Address"]}]
            if task.eni
            else []
        ),
        "healthStatus": "UNKNOWN",
        "cpu": str(container.cpu),
        "memory": str(container.memory) if container.memory is not None else None,
        "memoryReservation": str(container.memory_reservation) if container.memory_reservation is not None else None,
    }
    return {key: value for key, value in described.items() if value is not None}


def _eni_attachment(task: EcsTask) -> dict[str, Any]:
    eni = task.eni or {}
    return {
        "id": eni["attachmentId"],
        "type": "ElasticNetworkInterface",
        "status": "DELETED" if task.last_status == "STOPPED" else "ATTACHED",
        "details": [{"name": name, "value": eni[name]} for name in eni if name != "attachmentId"],
    }


def _architecture(task: EcsTask) -> str:
    runtime = task.task_definition.runtime_platform or {}
    return "arm64" if runtime.get("cpuArchitecture") == "ARM64" else "x86_64"


def install() -> None:
    for handler in (run_task, start_task, stop_task, describe_tasks, list_tasks, *ecs_service_api.HANDLERS):
        patch_attr(EC2ContainerServiceResponse, handler.__name__, handler)

"""ECS service operations for the emulator (patched onto ``EC2ContainerServiceResponse`` by :mod:`.ecs`).

What moto 5.2.5 lacks or gets wrong, and what the emulator does instead (the scheduler is
:mod:`.ecs_services`):

* moto's services never ran a task (``runningCount`` came from an environment variable) and
  UpdateService never made a deployment. Here a service with ``desiredCount`` N owns N RUNNING tasks
  (``group`` ``service:<name>``, ``startedBy`` its deployment id ``ecs-svc/<19 digits>``), each
  deployment resolving its images' digests once for all its tasks. DAEMON services run one task per
  ACTIVE container instance.
* CreateService: the task definition must be ACTIVE (``family`` alone is its latest ACTIVE
  revision); an ACTIVE or DRAINING service of that name is ``Creation of service was not
  idempotent.`` unless the same ``clientToken`` is repeated; launch type and capacity providers as
  RunTask (neither: the cluster's default strategy, else EC2); ``propagateTags`` (SERVICE /
  TASK_DEFINITION) and ``enableECSManagedTags`` tag the tasks; ``deploymentConfiguration`` gets AWS's
  defaults (200/100 %, circuit breaker off; DAEMON 100/0 %).
* UpdateService: a new task definition, ``forceNewDeployment``, or new network configuration,
  platform version, capacity provider strategy or Service Connect / volume / VPC Lattice
  configuration makes a new PRIMARY deployment: once its tasks run, the old deployment's tasks are
  stopped (``ServiceSchedulerInitiated``) and it leaves ``deployments``; while they cannot start
  (image not found, no capacity: ``failedTasks``, events) the old deployment stays ACTIVE and its tasks
  keep running, as with AWS's default ``minimumHealthyPercent`` of 100.
  ``desiredCount`` scales the current deployment. A DRAINING/INACTIVE service is
  ServiceNotActiveException.
* DeleteService: ``desiredCount`` above 0 without ``force`` is ``The service cannot be stopped while
  it is scaled above 0.`` (REPLICA); otherwise its tasks stop, the response says DRAINING when it
  had running tasks (INACTIVE otherwise) and the service is INACTIVE from then on: DescribeServices
  still shows it, ListServices no longer does.
* DescribeServices: up to 10, unknown ones in ``failures`` (``MISSING``), ``deployments`` with
  ``runningCount``/``failedTasks``/``rolloutState``, ``events`` (newest first: tasks started and
  stopped, placement failures, deployment completed, steady state), ``tags`` only with ``include=TAGS``.
* ListServices: ACTIVE services only, ``launchType``/``schedulingStrategy``/``resourceManagementType``
  filters, pages of ``maxResults`` (1..100, default 10) with ``nextToken``.

Not modelled: load balancers, service discovery, placement constraints and strategies (recorded and
echoed, not applied), deployment circuit breakers, alarms, lifecycle hooks and BLUE_GREEN/LINEAR/CANARY
strategies (every deployment completes at once), the CODE_DEPLOY and EXTERNAL deployment controllers,
task sets, ``gatewayConnectors`` and ``monitoring`` (rejected), the purge of INACTIVE services.
"""

from __future__ import annotations

import copy
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.exceptions import ServiceNotFoundException
from moto.ecs.models import Cluster, EC2ContainerServiceBackend, Service
from moto.utilities.utils import get_partition

from . import ecs_model as model
from . import ecs_placement as placement
from . import ecs_service_requests as service_requests
from . import ecs_services as scheduler
from .ecs_services import DEPLOYMENT_MEMBERS, ServiceState

SERVICE_CLASS: Any = Service  # moto's Service is abstract for mypy (CloudFormation hooks), not at run time


def create_service(self: Any) -> ActionResult:
    backend: EC2ContainerServiceBackend = self.ecs_backend
    params: dict[str, Any] = self._get_params()
    cluster = model.get_cluster(backend, params.get("cluster"))
    service_requests.reject_unmodelled(params)
    name = str(params["serviceName"])
    existing = backend.services.get(f"{cluster.name}:{name}")
    if existing is not None and existing.status in ("ACTIVE", "DRAINING"):
        token = params.get("clientToken")
        if token and token == _adopt(backend, existing).client_token:
            return ActionResult({"service": scheduler.describe(backend, existing, ["TAGS"])})
        raise model.invalid_parameter("Creation of service was not idempotent.")
    controller = params.get("deploymentController") or {"type": "ECS"}
    if controller.get("type") != "ECS":
        raise model.not_modelled(f"deploymentController {controller.get('type')}")
    if not params.get("taskDefinition"):
        raise model.invalid_parameter(
            "TaskDefinition must be specified for a service using the ECS deployment controller."
        )
    task_definition = model.resolve_task_definition(backend, params["taskDefinition"], require_active=True)
    scheduling = params.get("schedulingStrategy") or "REPLICA"
    if scheduling == "REPLICA" and params.get("desiredCount") is None:
        raise model.invalid_parameter("desiredCount is required for a service with the REPLICA scheduling strategy.")
    deployment_params = service_requests.launch_params(cluster, params)
    service_requests.check_launch(backend, cluster, task_definition, deployment_params, scheduling)
    service = SERVICE_CLASS(
        cluster=cluster,
        service_name=name,
        desired_count=int(params.get("desiredCount") or 0),
        backend=backend,
        task_definition=task_definition,
        scheduling_strategy=scheduling,
        tags=copy.deepcopy(params.get("tags") or []),
        deployment_controller=controller,
        launch_type=deployment_params.get("launchType"),
        platform_version=params.get("platformVersion"),
        role_arn=params.get("role"),
    )
    service.deployments = []
    settings = service_requests.settings(params, scheduling)
    settings["deploymentController"] = controller
    if params.get("role"):
        settings["roleArn"] = params["role"]
    scheduler.attach(
        service,
        ServiceState(
            created_at=model.now(),
            created_by=f"arn:{get_partition(backend.region_name)}:iam::{backend.account_id}:root",
            settings=settings,
            deployments=[scheduler.new_deployment(backend, task_definition, deployment_params)],
            client_token=params.get("clientToken"),
        ),
    )
    backend.services[f"{cluster.name}:{name}"] = service
    scheduler.reconcile(backend, service)
    return ActionResult({"service": scheduler.describe(backend, service, ["TAGS"])})


def update_service(self: Any) -> ActionResult:
    backend: EC2ContainerServiceBackend = self.ecs_backend
    params: dict[str, Any] = self._get_params()
    cluster = model.get_cluster(backend, params.get("cluster"))
    service = _find(backend, cluster, str(params["service"]))
    if service.status != "ACTIVE":
        raise model.service_not_active()
    service_requests.reject_unmodelled(params)
    service_state = _adopt(backend, service)
    controller = params.get("deploymentController")
    if controller and controller != service_state.settings["deploymentController"]:
        raise model.not_modelled("Changing deploymentController")
    primary = service_state.deployments[0]
    task_definition = primary.task_definition
    if params.get("taskDefinition"):
        task_definition = model.resolve_task_definition(backend, params["taskDefinition"], require_active=True)
    deployment_params: dict[str, Any] = {
        "launchType": primary.launch_type,
        "capacityProviderStrategy": primary.capacity_provider_strategy,
        "platformVersion": primary.platform_version,
        "networkConfiguration": primary.network_configuration,
        **primary.echoed,
    }
    changed = [
        member
        for member in ("capacityProviderStrategy", "platformVersion", "networkConfiguration", *DEPLOYMENT_MEMBERS)
        if member in params and params[member] != deployment_params.get(member)
    ]
    deployment_params.update({member: params[member] for member in changed})
    if "capacityProviderStrategy" in changed:
        deployment_params["launchType"] = None
    if task_definition is not primary.task_definition or params.get("forceNewDeployment") or changed:
        service_requests.check_launch(
            backend, cluster, task_definition, deployment_params, model.scheduling_strategy(service)
        )
        primary.status = "ACTIVE"
        service_state.deployments.insert(0, scheduler.new_deployment(backend, task_definition, deployment_params))
    if params.get("desiredCount") is not None:
        service.desired_count = int(params["desiredCount"])
    service_state.settings.update(
        service_requests.settings(params, model.scheduling_strategy(service), service_state.settings)
    )
    service.task_definition = task_definition.arn
    scheduler.reconcile(backend, service)
    return ActionResult({"service": scheduler.describe(backend, service, ["TAGS"])})


def delete_service(self: Any) -> ActionResult:
    backend: EC2ContainerServiceBackend = self.ecs_backend
    cluster = model.get_cluster(backend, self._get_param("cluster"))
    service = _find(backend, cluster, str(self._get_param("service")))
    if service.status != "ACTIVE":
        raise model.service_not_active()
    service_state = _adopt(backend, service)
    if model.scheduling_strategy(service) == "REPLICA" and service.desired_count > 0 and not self._get_param("force"):
        raise model.invalid_parameter("The service cannot be stopped while it is scaled above 0.")
    running = scheduler.service_tasks(backend, service)
    service.desired_count = 0
    service.status = "DRAINING" if running else "INACTIVE"
    scheduler.stop_tasks(
        backend, service, running, f"Scaling activity initiated by (deployment {service_state.deployments[0].id})"
    )
    service.running_count = service.pending_count = 0
    response = scheduler.describe(backend, service, ["TAGS"])
    service.status = "INACTIVE"
    return ActionResult({"service": response})


def describe_services(self: Any) -> ActionResult:
    backend: EC2ContainerServiceBackend = self.ecs_backend
    cluster = model.get_cluster(backend, self._get_param("cluster"))
    references = [str(r) for r in self._get_param("services") or []]
    if not references:
        raise model.invalid_parameter("Services cannot be empty.")
    if len(references) > 10:
        raise model.invalid_parameter("Services can have at most 10 items.")
    include = self._get_param("include") or []
    found, failures = [], []
    for reference in references:
        try:
            service = _find(backend, cluster, reference)
        except ServiceNotFoundException:
            name = reference.rsplit("/", 1)[-1]
            missing = (
                reference if reference.startswith("arn:") else model.arn(backend, f"service/{cluster.name}/{name}")
            )
            failures.append({"arn": missing, "reason": "MISSING"})
            continue
        _adopt(backend, service)
        found.append(scheduler.describe(backend, service, include))
    return ActionResult({"services": found, "failures": failures})


def list_services(self: Any) -> ActionResult:
    backend: EC2ContainerServiceBackend = self.ecs_backend
    cluster = model.get_cluster(backend, self._get_param("cluster"))
    launch_type = self._get_param("launchType")
    scheduling = self._get_param("schedulingStrategy")
    management = self._get_param("resourceManagementType")
    selected = []
    for key, service in backend.services.items():
        if not key.startswith(f"{cluster.name}:") or service.status != "ACTIVE" or management == "ECS":
            continue
        primary = _adopt(backend, service).deployments[0]
        effective = placement.effective_launch_type(
            backend, cluster, primary.launch_type, primary.capacity_provider_strategy
        )
        if (launch_type and effective[0] != launch_type) or (
            scheduling and model.scheduling_strategy(service) != scheduling
        ):
            continue
        selected.append(service.arn)
    arns, token = model.page(selected, self._get_param("maxResults"), self._get_param("nextToken"), default=10)
    return ActionResult({"serviceArns": arns, "nextToken": token})


def _find(backend: EC2ContainerServiceBackend, cluster: Cluster, reference: str) -> Service:
    match = model.ARN_PATTERN.match(reference)
    if match and (
        match["kind"] != "service"
        or (match["account"], match["region"]) != (backend.account_id, backend.region_name)
        or ("/" in match["rest"] and match["rest"].split("/")[0] != cluster.name)
    ):
        raise ServiceNotFoundException
    service: Service | None = backend.services.get(f"{cluster.name}:{reference.rsplit('/', 1)[-1]}")
    if service is None:
        raise ServiceNotFoundException
    return service


def _adopt(backend: EC2ContainerServiceBackend, service: Service) -> ServiceState:
    """The emulator's state of a service; one moto made on its own (CloudFormation) gets it now."""
    if not hasattr(service, "provenance_guard_state"):
        task_definition = model.resolve_task_definition(backend, str(service.task_definition))
        params = {"launchType": service.launch_type}
        scheduler.attach(
            service,
            ServiceState(
                created_at=model.now(),
                created_by=f"arn:{get_partition(backend.region_name)}:iam::{backend.account_id}:root",
                settings={
                    **service_requests.settings({}, model.scheduling_strategy(service)),
                    "deploymentController": {"type": "ECS"},
                },
                deployments=[scheduler.new_deployment(backend, task_definition, params)],
            ),
        )
        if service.status == "ACTIVE":
            scheduler.reconcile(backend, service)
    return scheduler.state(service)


HANDLERS = (create_service, update_service, delete_service, describe_services, list_services)

"""ECS task definitions and clusters for the emulator, patched onto moto 5.2.5's ``EC2ContainerServiceResponse``.

What moto lacks or gets wrong, and what the emulator does instead:

* RegisterTaskDefinition: the family must be 1-255 letters, digits, ``-`` or ``_`` (``Family contains
  invalid characters.``); the revision records ``registeredAt`` and ``registeredBy`` (the account
  root); ``enableFaultInjection`` and ``trustedExecutionConfiguration`` are kept (moto dropped them).
  DeregisterTaskDefinition: INACTIVE with ``deregisteredAt``; revisions keep counting up.
* DescribeTaskDefinition: a bare family is its latest ACTIVE revision (moto: the latest, even
  INACTIVE); ``family:revision`` and ARNs describe any revision; a non-numeric revision is a
  ClientException (moto crashed); ``tags`` with ``include=TAGS``.
* ListTaskDefinitions: ``familyPrefix`` is the full family name (as AWS documents), ``status``
  (default ACTIVE), ``sort`` ASC (family, then revision) or DESC, pages of ``maxResults`` (1..100,
  default 100) with ``nextToken`` (moto: no sort, no paging).
* ListTaskDefinitionFamilies: ``status`` ACTIVE (a family with an ACTIVE revision), INACTIVE (none
  ACTIVE) or ALL, the default (moto ignored it); ``familyPrefix``; sorted; paged like the above.
* ListClusters: paged (``maxResults`` 1..100, default 100). DescribeClusters: without ``clusters``
  the ``default`` cluster, a MISSING failure when it does not exist (moto returned nothing);
  ``runningTasksCount``, ``pendingTasksCount`` and ``activeServicesCount`` counted from the tasks and
  services the emulator runs (moto's counters followed an environment variable); ``tags``,
  ``settings`` and ``configuration`` only with ``include`` TAGS, SETTINGS, CONFIGURATIONS.

Not modelled: ``requiresAttributes``, ``statistics`` and ``attachments`` of clusters (empty), the
DELETE_IN_PROGRESS life of deleted revisions (moto forgets them at once), INACTIVE clusters' purge.
"""

from __future__ import annotations

import re
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.models import Cluster, EC2ContainerServiceBackend, TaskDefinition
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.utilities.utils import get_partition

from . import ecs_model as model
from . import ecs_tasks as tasks
from .patches import original, patch_attr

FAMILY = re.compile(r"^[a-zA-Z0-9_-]{1,255}$")
CLUSTER_INCLUDES = {"TAGS": "tags", "SETTINGS": "settings", "CONFIGURATIONS": "configuration"}


def register_task_definition(self: Any) -> ActionResult:
    backend: EC2ContainerServiceBackend = self.ecs_backend
    family = self._get_param("family")
    if not isinstance(family, str) or not FAMILY.match(family):
        raise model.client_exception("Family contains invalid characters.")
    result: ActionResult = original(EC2ContainerServiceResponse, "register_task_definition")(self)
    registered = backend.task_definitions[family][max(backend.task_definitions[family])]
    # Picked up by moto's serializer as the TaskDefinition shape's registeredAt / registeredBy / deregisteredAt
    # and the two members moto's handler does not pass on.
    for member, attribute in (
        ("enableFaultInjection", "enable_fault_injection"),
        ("trustedExecutionConfiguration", "trusted_execution_configuration"),
    ):
        if self._get_param(member) is not None:
            setattr(registered, attribute, self._get_param(member))
    setattr(registered, "registered_at", model.now())  # noqa: B010
    setattr(registered, "registered_by", f"arn:{get_partition(backend.region_name)}:iam::{backend.account_id}:root")  # noqa: B010
    return result


def deregister_task_definition(self: Any) -> ActionResult:
    backend: EC2ContainerServiceBackend = self.ecs_backend
    result: ActionResult = original(EC2ContainerServiceResponse, "deregister_task_definition")(self)
    found = model.resolve_task_definition(backend, str(self._get_param("taskDefinition")))
    if getattr(found, "deregistered_at", None) is None:
        setattr(found, "deregistered_at", model.now())  # noqa: B010
    return result


def describe_task_definition(self: Any) -> ActionResult:
    backend: EC2ContainerServiceBackend = self.ecs_backend
    found = model.resolve_task_definition(backend, str(self._get_param("taskDefinition")))
    response: dict[str, Any] = {"taskDefinition": found}
    if "TAGS" in (self._get_param("include") or []):
        response["tags"] = list(found.tags or [])
    return ActionResult(response)


def list_task_definitions(self: Any) -> ActionResult:
    backend: EC2ContainerServiceBackend = self.ecs_backend
    family = self._get_param("familyPrefix")
    status = self._get_param("status") or "ACTIVE"
    selected = [
        definition
        for name in sorted(backend.task_definitions)
        if family is None or name == family
        for _, definition in sorted(backend.task_definitions[name].items())
        if definition.status == status
    ]
    if self._get_param("sort") == "DESC":
        selected.reverse()
    arns, token = model.page(
        [d.arn for d in selected], self._get_param("maxResults"), self._get_param("nextToken"), default=100
    )
    return ActionResult({"taskDefinitionArns": arns, "nextToken": token})


def list_task_definition_families(self: Any) -> ActionResult:
    backend: EC2ContainerServiceBackend = self.ecs_backend
    prefix = self._get_param("familyPrefix") or ""
    status = self._get_param("status") or "ALL"
    selected = []
    for name in sorted(backend.task_definitions):
        revisions: dict[int, TaskDefinition] = backend.task_definitions[name]
        if not revisions or not name.startswith(prefix):
            continue
        active = any(d.status == "ACTIVE" for d in revisions.values())
        if status == "ALL" or (status == "ACTIVE") == active:
            selected.append(name)
    families, token = model.page(selected, self._get_param("maxResults"), self._get_param("nextToken"), default=100)
    return ActionResult({"families": families, "nextToken": token})


def list_clusters(self: Any) -> ActionResult:
    backend: EC2ContainerServiceBackend = self.ecs_backend
    arns = [cluster.arn for cluster in backend.clusters.values()]
    page, token = model.page(arns, self._get_param("maxResults"), self._get_param("nextToken"), default=100)
    return ActionResult({"clusterArns": page, "nextToken": token})


def describe_clusters(self: Any) -> ActionResult:
    backend: EC2ContainerServiceBackend = self.ecs_backend
    references = [str(r) for r in self._get_param("clusters") or []] or ["default"]
    if len(references) > 100:
        raise model.invalid_parameter("Clusters can have at most 100 items.")
    include = self._get_param("include") or []
    found, failures = [], []
    for reference in references:
        cluster = backend.clusters.get(reference.rsplit("/", 1)[-1])
        if cluster is None or (reference.startswith("arn:") and reference != cluster.arn):
            missing = reference if reference.startswith("arn:") else model.arn(backend, f"cluster/{reference}")
            failures.append({"arn": missing, "reason": "MISSING"})
        else:
            found.append(describe_cluster(backend, cluster, include))
    return ActionResult({"clusters": found, "failures": failures})


def describe_cluster(backend: EC2ContainerServiceBackend, cluster: Cluster, include: list[str]) -> dict[str, Any]:
    cluster_tasks = tasks.cluster_tasks(backend, cluster)
    services = [s for key, s in backend.services.items() if key.startswith(f"{cluster.name}:")]
    instances = (backend.container_instances.get(cluster.name) or {}).values()
    described: dict[str, Any] = {
        "clusterArn": cluster.arn,
        "clusterName": cluster.name,
        "status": cluster.status,
        "registeredContainerInstancesCount": len([i for i in instances if i.status in ("ACTIVE", "DRAINING")]),
        "runningTasksCount": len([t for t in cluster_tasks if t.last_status == "RUNNING"]),
        "pendingTasksCount": 0,
        "activeServicesCount": len([s for s in services if s.status == "ACTIVE"]),
        "statistics": [],
        "capacityProviders": list(cluster.capacity_providers or []),
        "defaultCapacityProviderStrategy": list(cluster.default_capacity_provider_strategy or []),
        "attachments": [],
    }
    if cluster.service_connect_defaults:
        described["serviceConnectDefaults"] = cluster.service_connect_defaults
    for name, member in CLUSTER_INCLUDES.items():
        value = getattr(cluster, member, None)
        if name in include and value is not None:
            described[member] = value
    return described


def install() -> None:
    for handler in (
        register_task_definition,
        deregister_task_definition,
        describe_task_definition,
        list_task_definitions,
        list_task_definition_families,
        list_clusters,
        describe_clusters,
    ):
        patch_attr(EC2ContainerServiceResponse, handler.__name__, handler)

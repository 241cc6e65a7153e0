"""What an ECS CreateService / UpdateService request asks for, for the emulator: the service-level
settings (with AWS's defaults) and the parameters of a deployment. Used by :mod:`.ecs_service_api`."""

from __future__ import annotations

import copy
from typing import Any

from moto.ecs.models import Cluster, EC2ContainerServiceBackend

from . import ecs_model as model
from . import ecs_placement as placement
from .ecs_services import DEPLOYMENT_MEMBERS

NOT_MODELLED = ("gatewayConnectors", "monitoring")
SETTINGS = (
    "loadBalancers",
    "serviceRegistries",
    "placementConstraints",
    "placementStrategy",
    "healthCheckGracePeriodSeconds",
    "enableECSManagedTags",
    "propagateTags",
    "enableExecuteCommand",
    "availabilityZoneRebalancing",
)
DEPLOYMENT_DEFAULTS: dict[str, Any] = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}


def reject_unmodelled(params: dict[str, Any]) -> None:
    for member in NOT_MODELLED:
        if params.get(member):
            raise model.not_modelled(member)


def launch_params(cluster: Cluster, params: dict[str, Any]) -> dict[str, Any]:
    found = {
        name: copy.deepcopy(params[name])
        for name in ("platformVersion", "networkConfiguration", *DEPLOYMENT_MEMBERS)
        if name in params
    }
    if params.get("capacityProviderStrategy") or (
        not params.get("launchType") and cluster.default_capacity_provider_strategy
    ):
        found["capacityProviderStrategy"] = copy.deepcopy(
            params.get("capacityProviderStrategy") or cluster.default_capacity_provider_strategy
        )
        found["launchType"] = params.get("launchType")
    else:
        found["launchType"] = params.get("launchType") or "EC2"
    return found


def check_launch(
    backend: EC2ContainerServiceBackend, cluster: Cluster, task_definition: Any, params: dict[str, Any], scheduling: str
) -> None:
    launch_type = placement.check_launch(
        backend,
        cluster,
        task_definition,
        params.get("launchType"),
        params.get("capacityProviderStrategy"),
        params.get("networkConfiguration"),
    )[0]
    if scheduling == "DAEMON" and launch_type == "FARGATE":
        raise model.invalid_parameter("The daemon scheduling strategy does not support the FARGATE launch type.")


def settings(params: dict[str, Any], scheduling: str, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """The service-level members the request sets (all of them, with defaults, when ``current`` is None)."""
    if current is None:
        found: dict[str, Any] = {
            "loadBalancers": [],
            "serviceRegistries": [],
            "placementConstraints": [],
            "placementStrategy": [],
            "enableECSManagedTags": False,
            "propagateTags": "NONE",
            "enableExecuteCommand": False,
        }
        defaults = (
            DEPLOYMENT_DEFAULTS
            if scheduling == "REPLICA"
            else {**DEPLOYMENT_DEFAULTS, "maximumPercent": 100, "minimumHealthyPercent": 0}
        )
        found["deploymentConfiguration"] = {
            **copy.deepcopy(defaults),
            **copy.deepcopy(params.get("deploymentConfiguration") or {}),
        }
    else:
        found = {}
        if params.get("deploymentConfiguration"):
            found["deploymentConfiguration"] = {
                **current["deploymentConfiguration"],
                **copy.deepcopy(params["deploymentConfiguration"]),
            }
    found.update({name: copy.deepcopy(params[name]) for name in SETTINGS if params.get(name) is not None})
    return found

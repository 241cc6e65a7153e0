"""ECS events -> work (CONTROLS.md §6.2): task state changes judge the task's service (or the standalone
task, archived once it stops); CloudTrail task definition and service calls judge the family or service.

Every event is re-read from ECS, never trusted for the verdict: a task whose cluster or task no longer
exists comes back gone from its collector and its findings are archived; a deleted service is INACTIVE
(DRAINING while its tasks stop) and archived the same way, and one re-created since is judged instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from provenance_guard.collect.ecs_model import SERVICE_GROUP, last_segment
from provenance_guard.collect.ecs_service import ECS_SERVICE, ECS_TASK
from provenance_guard.collect.ecs_task_definition import ECS_TASK_DEFINITION
from provenance_guard.triggers.base import Envelope, Trigger, nested, required
from provenance_guard.work import Action, EventError, Work

FUNCTION = "ecs_events"
DEFAULT_CLUSTER = "default"
NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
"""Cluster, service and family names (letters, digits, hyphens, underscores; up to 255)."""
TASK_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
ECS_ARN = re.compile(r"^arn:aws[a-z-]*:ecs:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):(?P<type>[a-z-]+)/(?P<path>.+)$")
SERVICE_CONTROLS = frozenset({"PG.ECS.2"})
TASK_DEFINITION_CONTROLS = frozenset({"PG.ECS.1"})


def _name(value: str, what: str, pattern: re.Pattern[str] = NAME) -> str:
    if not pattern.match(value):
        raise EventError(f"{value!r} is not an ECS {what}")
    return value


def _arn_name(value: str, kind: str, envelope: Envelope) -> str:
    """The name an ECS ARN of `kind` ends with (a plain name is returned as it is)."""
    if not value.startswith("arn:"):
        return value
    match = ECS_ARN.match(value)
    if match is None or match["type"] != kind:
        raise EventError(f"{value!r} is not an ECS {kind} ARN")
    if match["account"] != envelope.account:
        raise EventError(f"the event names a {kind} of account {match['account']}, not of the event's account")
    return last_segment(value)


def task_state_change(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """RUNNING: the task's service (`group` `service:<name>`), or the standalone task; STOPPED: a standalone
    task's findings are archived (a service's task leaves its service's finding alone: the service's
    other and replacement tasks are judged as they start)."""
    cluster = _name(_arn_name(required(detail, "clusterArn"), "cluster", envelope), "cluster name")
    task = _name(_arn_name(required(detail, "taskArn"), "task", envelope), "task id", TASK_ID)
    status = required(detail, "lastStatus")
    group = detail.get("group")
    if group is not None and not isinstance(group, str):
        raise EventError("detail.group is not a string")
    service = group.removeprefix(SERVICE_GROUP) if group and group.startswith(SERVICE_GROUP) else None
    if status == "RUNNING":
        if service is not None:
            ref = envelope.ref(ECS_SERVICE, f"{cluster}/{_name(service, 'service name')}")
            return [Work(Action.EVALUATE, ref, SERVICE_CONTROLS)]
        return [Work(Action.EVALUATE, envelope.ref(ECS_TASK, f"{cluster}/{task}"), SERVICE_CONTROLS)]
    if status == "STOPPED" and service is None:
        return [Work(Action.ARCHIVE, envelope.ref(ECS_TASK, f"{cluster}/{task}"))]
    return []


def _family(value: str, envelope: Envelope) -> str:
    """`family`, `family:revision` or a task definition ARN -> the family."""
    return _name(_arn_name(value, "task-definition", envelope).split(":", 1)[0], "task definition family")


def register_task_definition(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    family = _family(required(detail, "requestParameters", "family"), envelope)
    return [Work(Action.EVALUATE, envelope.ref(ECS_TASK_DEFINITION, family), TASK_DEFINITION_CONTROLS)]


def deregister_task_definition(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """The family is judged again: its latest ACTIVE revision now, or archived when none is left."""
    family = _family(required(detail, "requestParameters", "taskDefinition"), envelope)
    return [Work(Action.EVALUATE, envelope.ref(ECS_TASK_DEFINITION, family), TASK_DEFINITION_CONTROLS)]


def _service_work(detail: Mapping[str, Any], envelope: Envelope, member: str) -> list[Work]:
    """`requestParameters.<member>` names the service (a name or ARN), `cluster` its cluster (a name or
    ARN; ECS's `default` when absent; a new-format service ARN names it too)."""
    named = required(detail, "requestParameters", member)
    cluster_value = nested(detail, "requestParameters", "cluster")
    if cluster_value is not None and not isinstance(cluster_value, str):
        raise EventError("detail.requestParameters.cluster is not a string")
    cluster = _arn_name(cluster_value, "cluster", envelope) if cluster_value else None
    if named.startswith("arn:"):
        path = named.split(":", 5)[-1].removeprefix("service/")
        if "/" in path:
            cluster = cluster or path.split("/", 1)[0]
    service = _name(_arn_name(named, "service", envelope), "service name")
    ref = envelope.ref(ECS_SERVICE, f"{_name(cluster or DEFAULT_CLUSTER, 'cluster name')}/{service}")
    return [Work(Action.EVALUATE, ref, SERVICE_CONTROLS)]


def create_service(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    return _service_work(detail, envelope, "serviceName")


def update_or_delete_service(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """Updated: judged again. Deleted: read too, so a service re-created since (events arrive in no
    guaranteed order) is judged rather than archived; a deleted one is DRAINING or INACTIVE: archived."""
    return _service_work(detail, envelope, "service")


TRIGGERS = (
    Trigger(
        "EcsTaskStateChange",
        "ECS Task State Change: RUNNING -> the task's service (or the task); STOPPED standalone task -> archive",
        FUNCTION,
        source="aws.ecs",
        detail_type="ECS Task State Change",
        detail={"lastStatus": ["RUNNING", "STOPPED"]},
        parse=task_state_change,
    ),
    Trigger(
        "EcsCalls",
        "CloudTrail ECS task definition and service calls",
        FUNCTION,
        source="aws.ecs",
        calls={
            "RegisterTaskDefinition": register_task_definition,
            "DeregisterTaskDefinition": deregister_task_definition,
            "CreateService": create_service,
            "UpdateService": update_or_delete_service,
            "DeleteService": update_or_delete_service,
        },
    ),
)

"""Shared pieces of the emulator's ECS extension: errors, paging, lookups of clusters and task definitions.

The behaviour itself is documented in :mod:`.ecs` (tasks and services) and :mod:`.ecs_task_definitions`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from moto.core.exceptions import ServiceException
from moto.ecs.exceptions import ClusterNotFoundException, TaskDefinitionNotFoundException
from moto.ecs.models import Cluster, EC2ContainerServiceBackend, TaskDefinition, ecs_backends
from moto.utilities.utils import get_partition

Item = TypeVar("Item")

ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:ecs:(?P<region>[^:]+):(?P<account>\d{12}):(?P<kind>[a-z-]+)/(?P<rest>.+)$")


class EcsError(ServiceException):
    """An ECS error (``EcsError(code, message)``), serialised with the ecs model's error shapes."""


def invalid_parameter(message: str) -> EcsError:
    return EcsError("InvalidParameterException", message)


def client_exception(message: str) -> EcsError:
    return EcsError("ClientException", message)


def service_not_active() -> EcsError:
    return EcsError("ServiceNotActiveException", "Service was not ACTIVE.")


def not_modelled(member: str) -> EcsError:
    return invalid_parameter(f"{member} is not modelled by the provenance-guard emulator.")


def container_definitions(task_definition: TaskDefinition) -> list[dict[str, Any]]:
    definitions: list[dict[str, Any]] = cast(list[dict[str, Any]], task_definition.container_definitions)
    return definitions


def scheduling_strategy(service: Any) -> str:
    return str(service.scheduling_strategy)


def now() -> datetime:
    return datetime.now(UTC)


def backend_for(account: str, region: str) -> EC2ContainerServiceBackend:
    found: EC2ContainerServiceBackend = ecs_backends[account][region]
    return found


def arn(backend: EC2ContainerServiceBackend, resource: str) -> str:
    return f"arn:{get_partition(backend.region_name)}:ecs:{backend.region_name}:{backend.account_id}:{resource}"


def get_cluster(backend: EC2ContainerServiceBackend, reference: str | None) -> Cluster:
    """A cluster by name or ARN; ``None`` is the ``default`` cluster, as on AWS."""
    name = reference or "default"
    match = ARN_PATTERN.match(name)
    if match:
        if match["kind"] != "cluster" or (match["account"], match["region"]) != (
            backend.account_id,
            backend.region_name,
        ):
            raise ClusterNotFoundException
        name = match["rest"]
    cluster: Cluster | None = backend.clusters.get(name)
    if cluster is None:
        raise ClusterNotFoundException
    return cluster


def resolve_task_definition(
    backend: EC2ContainerServiceBackend, reference: str, *, require_active: bool = False
) -> TaskDefinition:
    """``family`` (its latest ACTIVE revision), ``family:revision`` or the revision's ARN."""
    name = reference
    match = ARN_PATTERN.match(reference)
    if match:
        if match["kind"] != "task-definition":
            raise TaskDefinitionNotFoundException
        name = match["rest"]
    family, _, revision_text = name.partition(":")
    revisions: dict[int, TaskDefinition] = backend.task_definitions.get(family) or {}
    if revision_text:
        if not revision_text.isdigit():
            raise client_exception(f"Invalid revision number. Number: {revision_text}")
        found = revisions.get(int(revision_text))
    else:
        active = [number for number, definition in revisions.items() if definition.status == "ACTIVE"]
        found = revisions[max(active)] if active else None
    if found is None:
        raise TaskDefinitionNotFoundException
    if require_active and found.status != "ACTIVE":
        raise client_exception("TaskDefinition is inactive")
    return found


def page(
    items: Sequence[Item], max_results: Any, token: Any, *, default: int, limit: int = 100
) -> tuple[list[Item], str | None]:
    """One page of ``items`` (ECS list operations: ``maxResults`` 1..``limit``, opaque ``nextToken``)."""
    if max_results is not None and not 1 <= int(max_results) <= limit:
        raise invalid_parameter(f"maxResults must be between 1 and {limit}.")
    size = int(max_results) if max_results is not None else default
    start = _offset(token)
    end = start + size
    next_token = base64.b64encode(json.dumps({"offset": end}).encode()).decode() if end < len(items) else None
    return list(items[start:end]), next_token


def _offset(token: Any) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.b64decode(str(token), validate=True))["offset"]
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise invalid_parameter("Invalid nextToken: it was not returned by a previous call.") from None
    if not isinstance(offset, int) or offset < 0:
        raise invalid_parameter("Invalid nextToken: it was not returned by a previous call.")
    return offset


def tags_member(tags: list[dict[str, str]] | None, include: list[str] | None) -> list[dict[str, str]]:
    """``tags`` of a described resource: its tags with ``include=TAGS``, else an empty list (as AWS shows)."""
    return list(tags or []) if "TAGS" in (include or []) else []

"""ECS names, and what ECS reports about running containers: shared by the task definition, service and task
collectors and by the reverse map from an image digest to the services and tasks running it.

A container reports the image reference it was started from (`image`) and the digest ECS resolved it to
when the task (for a service: the deployment) started (`imageDigest`); DescribeTasks returns both.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from provenance_guard.lambda_identifiers import ImageReference, parse_image_uri

LIST_CLUSTERS = "ecs:ListClusters"
LIST_SERVICES = "ecs:ListServices"
LIST_TASKS = "ecs:ListTasks"
DESCRIBE_SERVICES = "ecs:DescribeServices"
DESCRIBE_TASKS = "ecs:DescribeTasks"
DESCRIBE_TASK_DEFINITION = "ecs:DescribeTaskDefinition"
LIST_TASK_DEFINITION_FAMILIES = "ecs:ListTaskDefinitionFamilies"
DESCRIBE_TASKS_LIMIT = 100
"""DescribeTasks takes at most 100 tasks; ListTasks pages hold at most 100."""
SERVICE_GROUP = "service:"
"""A task a service started has `group` `service:<service name>` (a standalone task: `family:<family>`)."""
GONE_CODES = frozenset({"ClusterNotFoundException", "ServiceNotFoundException"})
DOCKER_HUB = "docker.io"


def last_segment(arn_or_name: str) -> str:
    """The name at the end of an ECS ARN (`arn:aws:ecs:<r>:<a>:cluster/prod` -> `prod`), or the name itself."""
    return arn_or_name.rsplit("/", 1)[-1] if arn_or_name.startswith("arn:") else arn_or_name


def split_pair(name: str) -> tuple[str, str]:
    """`<cluster>/<service or task id>` -> its two parts (`ValueError` otherwise)."""
    cluster, slash, rest = name.partition("/")
    if not slash or not cluster or not rest or "/" in rest:
        raise ValueError(f"an ECS service or task is named <cluster>/<name>, got {name!r}")
    return cluster, rest


def pair_from_arn(resource: str) -> str | None:
    """`<cluster>/<name>` from the resource part of a (new-format) service or task ARN; None for an old-format
    ARN that names no cluster."""
    cluster, slash, rest = resource.partition("/")
    return resource if slash and cluster and rest and "/" not in rest else None


def parse_container_image(image: str) -> ImageReference:
    """A container image reference as ECS accepts it: `nginx:1.27` and `team/app` are Docker Hub images
    (`docker.io/library/nginx`, `docker.io/team/app`); anything whose first part looks like a host keeps it.
    `ValueError` for an empty or malformed reference."""
    if not image or image != image.strip() or " " in image:
        raise ValueError(f"{image!r} is not a container image reference")
    first, slash, _ = image.partition("/")
    if not slash or not ("." in first or ":" in first or first == "localhost"):
        path = image if slash else f"library/{image}"
        return parse_image_uri(f"{DOCKER_HUB}/{path}")
    return parse_image_uri(image)


@dataclass(frozen=True)
class RunningContainer:
    name: str
    image: str
    digest: str | None
    """None when ECS reports no digest (it could not resolve one, or the container has not started)."""


@dataclass(frozen=True)
class RunningTask:
    """One task as DescribeTasks (or a task state change event) reports it."""

    arn: str
    cluster: str
    """The cluster's name."""
    task_id: str
    group: str
    last_status: str
    desired_status: str
    task_definition_arn: str
    started_by: str | None
    started_at: datetime | None
    version: int | None
    containers: tuple[RunningContainer, ...]

    @property
    def service(self) -> str | None:
        """The name of the service that owns the task, or None for a standalone task."""
        return self.group.removeprefix(SERVICE_GROUP) if self.group.startswith(SERVICE_GROUP) else None

    @property
    def name(self) -> str:
        """`<cluster>/<task id>`, the `ResourceRef.name` of a standalone task."""
        return f"{self.cluster}/{self.task_id}"


def running_task(entry: Mapping[str, Any]) -> RunningTask:
    """A DescribeTasks `tasks[]` entry (or an event's `detail`, whose timestamps are strings)."""
    arn = str(entry.get("taskArn", ""))
    started = entry.get("startedAt")
    version = entry.get("version")
    return RunningTask(
        arn=arn,
        cluster=last_segment(str(entry.get("clusterArn", ""))),
        task_id=last_segment(arn),
        group=str(entry.get("group") or ""),
        last_status=str(entry.get("lastStatus") or "UNKNOWN"),
        desired_status=str(entry.get("desiredStatus") or "UNKNOWN"),
        task_definition_arn=str(entry.get("taskDefinitionArn", "")),
        started_by=entry.get("startedBy"),
        started_at=started if isinstance(started, datetime) else None,
        version=version if isinstance(version, int) else None,
        containers=tuple(
            RunningContainer(str(c.get("name", "?")), str(c.get("image", "")), c.get("imageDigest") or None)
            for c in entry.get("containers") or ()
        ),
    )


def describe_tasks(ecs: Any, cluster: str, tasks: Sequence[str]) -> Iterator[Mapping[str, Any]]:
    """The DescribeTasks entries of `tasks` (ids or ARNs) of one cluster, 100 per call, tags included;
    tasks ECS no longer knows are left out."""
    for start in range(0, len(tasks), DESCRIBE_TASKS_LIMIT):
        response = ecs.describe_tasks(
            cluster=cluster, tasks=list(tasks[start : start + DESCRIBE_TASKS_LIMIT]), include=["TAGS"]
        )
        yield from response.get("tasks", [])


def task_tags(entry: Mapping[str, Any]) -> dict[str, str]:
    return {str(t["key"]): str(t.get("value", "")) for t in entry.get("tags") or () if "key" in t}


def cluster_names(clients: Any, region: str) -> Iterator[str]:
    """Every cluster of the Region (names), paged."""
    ecs = clients.client("ecs", region)
    for page in ecs.get_paginator("list_clusters").paginate():
        yield from (last_segment(arn) for arn in page.get("clusterArns", []))

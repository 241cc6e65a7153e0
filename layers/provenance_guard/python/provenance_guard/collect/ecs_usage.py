"""Which ECS services and standalone tasks run an image digest (blast radius, "in use by").

ECS has no reverse lookup from an image to what runs it, so the RUNNING tasks of every cluster of the
Region are read once per run (ListClusters, ListTasks and DescribeTasks, 100 tasks per call: about two
calls per hundred tasks) and indexed by the ECR image each container reports; a task a service owns
counts as its service. At most `MAX_SCANNED_TASKS` tasks are read per run: beyond that the answer is
marked incomplete and the count logged, and the daily sweep (which judges every service) covers the rest.
"""

from __future__ import annotations

import logging
from typing import Any

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.base import RunCache, Usage, Users
from provenance_guard.collect.ecr_image_model import ECR_IMAGE
from provenance_guard.collect.ecs_model import (
    DESCRIBE_TASKS,
    LIST_CLUSTERS,
    LIST_TASKS,
    cluster_names,
    describe_tasks,
    parse_container_image,
    running_task,
)
from provenance_guard.collect.ecs_service import ECS_SERVICE, ECS_TASK, service_ref, task_ref
from provenance_guard.model import ResourceRef

logger = logging.getLogger(__name__)

MAX_SCANNED_TASKS = 2000
IMAGE_CONTROLS = frozenset({"PG.ECR.3", "PG.ECR.5"})
"""The image controls PG.ECS.2 (and PG.LAMBDA.6) depend on."""

Index = dict[str, set[ResourceRef]]


class RunningImageIndex:
    """`repository@digest` of this account's ECR -> the services and standalone tasks running it."""

    def __init__(self, clients: ClientFactory, run: RunCache) -> None:
        self._clients = clients
        self._run = run

    def __call__(self, image: ResourceRef) -> Users:
        index, complete = self._run.once(
            (RunningImageIndex, image.account, image.region),
            lambda: self._scan(image.account, image.region, image.partition),
        )
        return Users(tuple(sorted(index.get(image.name, set()), key=lambda ref: ref.arn)), complete)

    def _scan(self, account: str, region: str, partition: str) -> tuple[Index, bool]:
        ecs: Any = self._clients.client("ecs", region)
        index: Index = {}
        scanned = 0
        for cluster in cluster_names(self._clients, region):
            for page in ecs.get_paginator("list_tasks").paginate(cluster=cluster, desiredStatus="RUNNING"):
                arns = page.get("taskArns", [])
                if scanned + len(arns) > MAX_SCANNED_TASKS:
                    logger.warning(
                        "more than %d running ECS tasks in %s: the index is partial", MAX_SCANNED_TASKS, region
                    )
                    return index, False
                scanned += len(arns)
                for entry in describe_tasks(ecs, cluster, arns):
                    task = running_task(entry)
                    if task.service is not None:
                        user = service_ref(cluster, task.service, account, region, partition)
                    else:
                        user = task_ref(cluster, task.task_id, account, region, partition)
                    for container in task.containers:
                        key = _ecr_image(container.image, container.digest, account, region)
                        if key is not None:
                            index.setdefault(key, set()).add(user)
        return index, True


def _ecr_image(image: str, digest: str | None, account: str, region: str) -> str | None:
    """`repository@digest` when the container runs an image of this account's ECR in this Region."""
    if digest is None:
        return None
    try:
        reference = parse_container_image(image)
    except ValueError:
        return None
    if (reference.ecr_account, reference.ecr_region) != (account, region):
        return None
    return f"{reference.repository}@{digest}"


USAGE = (
    Usage(
        artifact=ECR_IMAGE,
        finds=(ECS_SERVICE, ECS_TASK),
        controls=IMAGE_CONTROLS,
        finder=lambda collection: RunningImageIndex(collection.clients, collection.run),
        reads=(LIST_CLUSTERS, LIST_TASKS, DESCRIBE_TASKS),
    ),
)

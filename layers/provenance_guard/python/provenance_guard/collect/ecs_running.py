"""The images ECS tasks run, each with what ECR says about its digest: the evidence of PG.ECS.2.

Containers are grouped by (image reference, reported digest): every task of a deployment runs the same
digest, so a service with a hundred tasks usually has one group per container definition. An ECR-hosted
digest is read through the ECR image collector (one snapshot serves PG.ECR.3 and PG.ECR.5, as for the
image's own findings).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from provenance_guard.collect.base import Collector
from provenance_guard.collect.ecr_image_model import ECR_IMAGE, EcrImageSnapshot
from provenance_guard.collect.ecs_model import RunningTask, parse_container_image
from provenance_guard.lambda_identifiers import ImageReference
from provenance_guard.model import ResourceRef


@dataclass(frozen=True)
class RunningImage:
    image: str
    """The image reference the containers were started from, as ECS reports it."""
    digest: str | None
    """The digest ECS reports the containers run; None when it reports none (provenance unknown)."""
    containers: tuple[str, ...]
    """The container names that run it."""
    tasks: int
    """How many of the tasks read run it."""
    reference: ImageReference | None = None
    ecr_ref: ResourceRef | None = None
    snapshot: EcrImageSnapshot | None = None
    error: str | None = None
    """Why the digest's ECR snapshot could not be had (not an ECR image, not in ECR, unreadable)."""

    @property
    def location(self) -> str:
        if self.reference is None:
            return self.image
        return f"{self.reference.registry}/{self.reference.repository}"

    @property
    def label(self) -> str:
        return f"{self.location}@{self.digest}" if self.digest else f"{self.image} (no digest reported)"


class RunningImages:
    """Reads the running images of some tasks; `images` is the ECR image collector (built on first use)."""

    def __init__(self, images: Callable[[], Collector | None]) -> None:
        self._images = images

    def read(self, tasks: Sequence[RunningTask], partition: str = "aws") -> tuple[RunningImage, ...]:
        groups: dict[tuple[str, str | None], tuple[set[str], set[str]]] = {}
        for task in tasks:
            for container in task.containers:
                names, arns = groups.setdefault((container.image, container.digest), (set(), set()))
                names.add(container.name)
                arns.add(task.arn)
        return tuple(
            self._image(image, digest, tuple(sorted(names)), len(arns), partition)
            for (image, digest), (names, arns) in sorted(
                groups.items(), key=lambda item: (item[0][0], item[0][1] or "")
            )
        )

    def _image(
        self, image: str, digest: str | None, containers: tuple[str, ...], tasks: int, partition: str
    ) -> RunningImage:
        from botocore.exceptions import ClientError

        found = RunningImage(image, digest, containers, tasks)
        try:
            reference = parse_container_image(image)
        except ValueError as error:
            return replace(found, error=str(error))
        found = replace(found, reference=reference)
        if digest is None:
            return replace(found, error="ECS reports no digest for it")
        account, region = reference.ecr_account, reference.ecr_region
        if not (account and region):
            return replace(found, error="not an ECR image: its signature and scan cannot be read")
        ecr_ref = ResourceRef(ECR_IMAGE, f"{reference.repository}@{digest}", account, region, partition)
        found = replace(found, ecr_ref=ecr_ref)
        collector = self._images()
        if collector is None:
            return replace(found, error="no ECR image collector is installed")
        try:
            snapshot = collector.collect(ecr_ref)
        except ClientError as error:
            code = error.response["Error"].get("Code", "?")
            return replace(found, error=f"{code}: {error.response['Error'].get('Message', '')}")
        if not isinstance(snapshot, EcrImageSnapshot):
            return replace(found, error=f"image {ecr_ref.name} is not in ECR (deleted, or archived)")
        return replace(found, snapshot=snapshot)

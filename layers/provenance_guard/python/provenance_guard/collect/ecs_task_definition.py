"""ECS task definitions (PG.ECS.1): the latest ACTIVE revision of each family, its container images and,
for an image named by tag in ECR, whether that repository keeps the tag immutable.

One finding per family: a new revision updates the family's finding (the evidence names the revision)
instead of leaving one finding per revision behind; a family with no ACTIVE revision left is gone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.base import Collection, Kind, RunCache
from provenance_guard.collect.ecr import DESCRIBE_REPOSITORIES
from provenance_guard.collect.ecr_filters import wildcard_match
from provenance_guard.collect.ecs_model import (
    DESCRIBE_TASK_DEFINITION,
    LIST_TASK_DEFINITION_FAMILIES,
    parse_container_image,
)
from provenance_guard.lambda_identifiers import ImageReference
from provenance_guard.model import ArnFormat, ResourceKind, ResourceRef

ECS_TASK_DEFINITION = ResourceKind(
    "ecs-task-definition",
    asff_type="AwsEcsTaskDefinition",
    arn=ArnFormat("ecs", "task-definition/", name_from_arn=lambda name: name.split(":", 1)[0] or None),
    family="ECS",
)
"""`ResourceRef.name` is the family; the finding names `task-definition/<family>` (no revision: the finding
follows the family's latest ACTIVE revision)."""
GONE_CODES = frozenset({"ClientException"})
"""DescribeTaskDefinition of a family with no ACTIVE revision: ClientException (`Unable to describe task
definition.`)."""
UNREADABLE_CODES = frozenset({"RepositoryNotFoundException", "AccessDeniedException", "AccessDenied"})
IMPLICIT_TAG = "latest"


@dataclass(frozen=True)
class TagMutability:
    """A repository's tag mutability setting, as DescribeRepositories reports it."""

    repository: str
    setting: str
    exclusions: tuple[str, ...] = ()

    def immutable(self, tag: str) -> bool:
        """Whether `tag` cannot be moved: IMMUTABLE; IMMUTABLE_WITH_EXCLUSION unless the tag matches an
        exclusion filter; MUTABLE_WITH_EXCLUSION only when it matches one."""
        excluded = any(wildcard_match(pattern, tag) for pattern in self.exclusions)
        if self.setting == "IMMUTABLE":
            return True
        if self.setting == "IMMUTABLE_WITH_EXCLUSION":
            return not excluded
        return self.setting == "MUTABLE_WITH_EXCLUSION" and excluded


@dataclass(frozen=True)
class ContainerImage:
    """One container definition's image."""

    container: str
    image: str
    reference: ImageReference | None
    error: str | None = None
    """Why the reference could not be parsed, or its repository's mutability not read."""
    mutability: TagMutability | None = None
    """For an ECR image named by tag: its repository's setting (None when not read)."""

    @property
    def tag(self) -> str | None:
        if self.reference is None or self.reference.digest:
            return None
        return self.reference.tag or IMPLICIT_TAG


@dataclass(frozen=True)
class TaskDefinitionSnapshot:
    ref: ResourceRef
    arn: str
    revision: int
    status: str
    images: tuple[ContainerImage, ...]
    requires_compatibilities: tuple[str, ...]
    tags: Mapping[str, str]

    def asff_details(self) -> dict[str, Any]:
        details: dict[str, Any] = {
            "Family": self.ref.name,
            "Status": self.status,
            "ContainerDefinitions": [{"Name": i.container, "Image": i.image} for i in self.images[:20]],
        }
        if self.requires_compatibilities:
            details["RequiresCompatibilities"] = list(self.requires_compatibilities)
        return {"AwsEcsTaskDefinition": details}


class TaskDefinitionCollector:
    """Reads a family's latest ACTIVE revision with ecs:DescribeTaskDefinition, and the tag mutability of
    the ECR repositories its images name by tag with ecr:DescribeRepositories (once per run each)."""

    def __init__(self, clients: ClientFactory, run: RunCache | None = None) -> None:
        self._clients = clients
        self._run = run or RunCache()

    def collect(self, ref: ResourceRef) -> TaskDefinitionSnapshot | None:
        from botocore.exceptions import ClientError

        ecs = self._clients.client("ecs", ref.region)
        try:
            response = ecs.describe_task_definition(taskDefinition=ref.name, include=["TAGS"])
        except ClientError as error:
            if error.response["Error"]["Code"] in GONE_CODES:
                return None
            raise
        definition = response.get("taskDefinition") or {}
        if definition.get("status") != "ACTIVE":
            return None
        images = tuple(
            self._image(str(c.get("name", "?")), str(c.get("image", "")))
            for c in definition.get("containerDefinitions") or ()
        )
        return TaskDefinitionSnapshot(
            ref=ref,
            arn=str(definition.get("taskDefinitionArn", "")),
            revision=int(definition.get("revision", 0)),
            status=str(definition.get("status")),
            images=images,
            requires_compatibilities=tuple(definition.get("requiresCompatibilities") or ()),
            tags={str(t["key"]): str(t.get("value", "")) for t in response.get("tags") or () if "key" in t},
        )

    def _image(self, container: str, image: str) -> ContainerImage:
        try:
            reference = parse_container_image(image)
        except ValueError as unparsable:
            return ContainerImage(container, image, None, error=str(unparsable))
        found = ContainerImage(container, image, reference)
        account, region = reference.ecr_account, reference.ecr_region
        if reference.digest or not (account and region):
            return found
        key = (TaskDefinitionCollector, account, region, reference.repository)
        mutability, error = self._run.once(key, lambda: self._mutability(account, region, reference.repository))
        return ContainerImage(container, image, reference, error=error, mutability=mutability)

    def _mutability(self, account: str, region: str, repository: str) -> tuple[TagMutability | None, str | None]:
        from botocore.exceptions import ClientError

        ecr = self._clients.client("ecr", region)
        try:
            found = ecr.describe_repositories(registryId=account, repositoryNames=[repository])["repositories"]
        except ClientError as error:
            if error.response["Error"]["Code"] not in UNREADABLE_CODES:
                raise
            return None, f"{error.response['Error']['Code']}: repository {repository} cannot be read"
        if not found:
            return None, f"repository {repository} not found"
        entry = found[0]
        exclusions = tuple(str(f["filter"]) for f in entry.get("imageTagMutabilityExclusionFilters") or ())
        return TagMutability(repository, str(entry.get("imageTagMutability", "MUTABLE")), exclusions), None


def active_families(clients: ClientFactory, region: str) -> Iterator[str]:
    """The sweep's inventory: every family with an ACTIVE revision."""
    pages = clients.client("ecs", region).get_paginator("list_task_definition_families").paginate(status="ACTIVE")
    for page in pages:
        yield from page.get("families", [])


def _collector(collection: Collection) -> TaskDefinitionCollector:
    return TaskDefinitionCollector(collection.clients, collection.run)


KINDS = (
    Kind(
        ECS_TASK_DEFINITION,
        collector=_collector,
        collector_reads=(DESCRIBE_TASK_DEFINITION, DESCRIBE_REPOSITORIES),
        inventory=active_families,
        inventory_reads=(LIST_TASK_DEFINITION_FAMILIES,),
    ),
)

"""collect/ecs_*.py: task definitions, services and standalone tasks read from the emulated ECS, with the
digests their running tasks report; the index of what runs each image (blast radius)."""

from __future__ import annotations

from typing import Any

import pytest

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.base import Collection
from provenance_guard.collect.ecr_image_model import ECR_IMAGE
from provenance_guard.collect.ecs_service import (
    ECS_SERVICE,
    ECS_TASK,
    EcsServiceSnapshot,
    EcsTaskSnapshot,
    ecs_services,
    standalone_tasks,
)
from provenance_guard.collect.ecs_task_definition import ECS_TASK_DEFINITION, TaskDefinitionSnapshot, active_families
from provenance_guard.collect.kinds import KINDS, USAGE
from provenance_guard.model import ResourceRef
from provenance_guard.oci.ecr import EcrRegistries
from tests.unit.conftest import UNREACHABLE_REGISTRY
from tests.unit.ecs_support import CLUSTER, REGISTRY, EcsAccount
from tests.unit.support import ACCOUNT, REGION


@pytest.fixture
def account(aws: None) -> EcsAccount:
    return EcsAccount()


@pytest.fixture
def collection(aws: None) -> Collection:
    clients = ClientFactory(max_attempts=2)
    return Collection(clients, EcrRegistries(clients, UNREACHABLE_REGISTRY), KINDS, None, USAGE)


def ref(kind: Any, name: str) -> ResourceRef:
    return ResourceRef(kind, name, ACCOUNT, REGION)


def collect(collection: Collection, kind: Any, name: str) -> Any:
    collector = collection.collector(kind)
    assert collector is not None
    return collector.collect(ref(kind, name))


class TestTaskDefinitions:
    def test_the_latest_active_revision_is_read_with_each_tag_mutability(
        self, account: EcsAccount, collection: Collection
    ) -> None:
        account.image("web", "latest")
        account.image("api", "v1", imageTagMutability="IMMUTABLE")
        account.definition("web", "web:latest")
        account.definition("web", "web:latest", "api:v1", "nginx:1.27")

        snapshot = collect(collection, ECS_TASK_DEFINITION, "web")

        assert isinstance(snapshot, TaskDefinitionSnapshot)
        assert snapshot.revision == 2
        by_container = {i.container: i for i in snapshot.images}
        assert by_container["c0"].mutability is not None
        assert by_container["c0"].mutability.setting == "MUTABLE"
        assert by_container["c1"].mutability is not None
        assert by_container["c1"].mutability.immutable("v1")
        assert by_container["c2"].reference is not None
        assert by_container["c2"].reference.registry == "docker.io"
        assert by_container["c2"].mutability is None, "Docker Hub's mutability is not ECR's to read"
        assert snapshot.asff_details()["AwsEcsTaskDefinition"]["Family"] == "web"

    def test_a_family_with_no_active_revision_is_gone(self, account: EcsAccount, collection: Collection) -> None:
        account.image("web")
        arn = account.definition("web", "web:v1")
        account.ecs.deregister_task_definition(taskDefinition=arn)

        assert collect(collection, ECS_TASK_DEFINITION, "web") is None
        assert collect(collection, ECS_TASK_DEFINITION, "never-registered") is None

    def test_a_repository_that_does_not_exist_is_reported(self, account: EcsAccount, collection: Collection) -> None:
        account.definition("ghost", "nowhere:v1")
        image = collect(collection, ECS_TASK_DEFINITION, "ghost").images[0]
        assert image.mutability is None
        assert image.error == "RepositoryNotFoundException: repository nowhere cannot be read"

    def test_the_inventory_lists_active_families(self, account: EcsAccount) -> None:
        account.image("web")
        account.definition("web", "web:v1")
        account.ecs.deregister_task_definition(taskDefinition=account.definition("old", "web:v1"))
        assert list(active_families(ClientFactory(), REGION)) == ["web"]


class TestServices:
    def test_a_service_is_read_with_the_digests_its_running_tasks_report(
        self, account: EcsAccount, collection: Collection
    ) -> None:
        digest = account.image("web", "v1")
        account.definition("web", "web:v1")
        arn = account.service("web", "web", desired=3)

        snapshot = collect(collection, ECS_SERVICE, f"{CLUSTER}/web")

        assert isinstance(snapshot, EcsServiceSnapshot)
        assert (snapshot.arn, snapshot.desired_count, snapshot.tasks_read) == (arn, 3, 3)
        (image,) = snapshot.images
        assert (image.image, image.digest, image.tasks, image.containers) == (f"{REGISTRY}/web:v1", digest, 3, ("c0",))
        assert image.ecr_ref == ref(ECR_IMAGE, f"web@{digest}")
        assert image.snapshot is not None
        assert image.snapshot.digest == digest
        assert snapshot.asff_details()["AwsEcsService"]["ServiceArn"] == arn

    def test_a_deleted_service_and_a_missing_cluster_are_gone(
        self, account: EcsAccount, collection: Collection
    ) -> None:
        account.image("web")
        account.definition("web", "web:v1")
        account.service("web", "web")
        account.ecs.delete_service(cluster=CLUSTER, service="web", force=True)

        assert collect(collection, ECS_SERVICE, f"{CLUSTER}/web") is None
        assert collect(collection, ECS_SERVICE, "no-such-cluster/web") is None
        assert collect(collection, ECS_SERVICE, f"{CLUSTER}/never-created") is None

    def test_a_digest_deleted_from_ecr_is_reported_not_in_ecr(
        self, account: EcsAccount, collection: Collection
    ) -> None:
        digest = account.image("web", "v1")
        account.definition("web", "web:v1")
        account.service("web", "web", desired=1)
        account.ecr.batch_delete_image(repositoryName="web", imageIds=[{"imageDigest": digest}])

        (image,) = collect(collection, ECS_SERVICE, f"{CLUSTER}/web").images
        assert image.snapshot is None
        assert image.error == f"image web@{digest} is not in ECR (deleted, or archived)"

    def test_the_inventory_lists_every_active_service(self, account: EcsAccount) -> None:
        account.image("web")
        account.definition("web", "web:v1")
        account.service("a", "web", desired=1)
        account.service("b", "web", desired=1)
        assert sorted(ecs_services(ClientFactory(), REGION)) == [f"{CLUSTER}/a", f"{CLUSTER}/b"]


class TestStandaloneTasks:
    def test_a_running_standalone_task_is_read(self, account: EcsAccount, collection: Collection) -> None:
        digest = account.image("batch", "v1")
        account.definition("batch", "batch:v1")
        task = account.task("batch")

        snapshot = collect(collection, ECS_TASK, f"{CLUSTER}/{task}")

        assert isinstance(snapshot, EcsTaskSnapshot)
        assert snapshot.task.group == "family:batch"
        assert [i.digest for i in snapshot.images] == [digest]
        assert snapshot.asff_details()["AwsEcsTask"]["Group"] == "family:batch"

    def test_stopped_unknown_and_service_tasks_are_not_judged_as_tasks(
        self, account: EcsAccount, collection: Collection
    ) -> None:
        account.image("batch")
        account.definition("batch", "batch:v1")
        stopped = account.task("batch")
        account.ecs.stop_task(cluster=CLUSTER, task=stopped)
        account.service("web", "batch", desired=1)
        (owned,) = account.service_task_ids("web")

        assert collect(collection, ECS_TASK, f"{CLUSTER}/{stopped}") is None
        assert collect(collection, ECS_TASK, f"{CLUSTER}/0123456789abcdef0123456789abcdef") is None
        assert collect(collection, ECS_TASK, f"no-such-cluster/{stopped}") is None
        assert collect(collection, ECS_TASK, f"{CLUSTER}/{owned}") is None

    def test_the_inventory_lists_standalone_tasks_only(self, account: EcsAccount) -> None:
        account.image("batch")
        account.definition("batch", "batch:v1")
        task = account.task("batch")
        account.service("web", "batch", desired=2)
        assert list(standalone_tasks(ClientFactory(), REGION)) == [f"{CLUSTER}/{task}"]


def test_the_image_index_maps_a_digest_to_the_services_and_tasks_running_it(
    account: EcsAccount, collection: Collection
) -> None:
    shared = account.image("web", "v1")
    other = account.image("other", "v1")
    account.definition("web", "web:v1")
    account.definition("other", "other:v1")
    account.service("web", "web", desired=2)
    account.service("api", "web", desired=1)
    task = account.task("web")
    account.service("other", "other", desired=1)

    users = collection.users(ref(ECR_IMAGE, f"web@{shared}"))

    assert users is not None
    assert users.complete
    assert users.refs == (
        ref(ECS_SERVICE, f"{CLUSTER}/api"),
        ref(ECS_SERVICE, f"{CLUSTER}/web"),
        ref(ECS_TASK, f"{CLUSTER}/{task}"),
    ), "sorted by ARN"
    assert collection.users(ref(ECR_IMAGE, f"other@{other}")).refs == (ref(ECS_SERVICE, f"{CLUSTER}/other"),)  # type: ignore[union-attr]
    evidence = users.evidence()
    assert evidence["InUseBy"] == "2 ecs-service, 1 ecs-task"
    assert evidence["InUseBy.First"].startswith(f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/api")


def test_the_image_index_is_bounded(
    account: EcsAccount, collection: Collection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from provenance_guard.collect import ecs_usage

    digest = account.image("web", "v1")
    account.definition("web", "web:v1")
    account.service("web", "web", desired=3)
    monkeypatch.setattr(ecs_usage, "MAX_SCANNED_TASKS", 2)

    users = collection.users(ref(ECR_IMAGE, f"web@{digest}"))

    assert users is not None
    assert not users.complete
    assert "at least" in users.evidence()["InUseBy"]

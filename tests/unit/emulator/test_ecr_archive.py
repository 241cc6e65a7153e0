"""The emulator's ECR archive storage class: UpdateImageStorageClass, `imageStatus` in DescribeImages and its
filter, and archived images that ECS cannot pull (moto 5.2.5 has none of it); checked against botocore's model."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from provenance_guard_cli.emulator import ecr_archive
from tests.unit.emulator.ecs_support import CLUSTER, REGISTRY, awsvpc, describe_tasks, fargate_definition, push_image
from tests.unit.emulator.model_shapes import assert_conforms, enum, input_members, shape_members
from tests.unit.support import error_code


@pytest.fixture
def image(ecr: Any) -> str:
    return push_image(ecr, "ubuntu", "24.04", seed="ubuntu")


def archive(ecr: Any, digest: str, target: str = "ARCHIVE") -> dict[str, Any]:
    response: dict[str, Any] = ecr.update_image_storage_class(
        repositoryName="ubuntu", imageId={"imageDigest": digest}, targetStorageClass=target
    )
    response.pop("ResponseMetadata")
    return response


def statuses(ecr: Any, **filter: str) -> dict[str, str]:
    request: dict[str, Any] = {"repositoryName": "ubuntu"}
    if filter:
        request["filter"] = filter
    return {d["imageDigest"]: d["imageStatus"] for d in ecr.describe_images(**request)["imageDetails"]}


def test_the_operation_and_members_are_the_models(ecr: Any) -> None:
    model = ecr.meta.service_model
    assert input_members(model, "UpdateImageStorageClass") == {
        "registryId",
        "repositoryName",
        "imageId",
        "targetStorageClass",
    }
    assert enum(model, "TargetStorageClass") == ["STANDARD", "ARCHIVE"]
    assert set(enum(model, "ImageStatus")) == {ecr_archive.ACTIVE, ecr_archive.ARCHIVED, ecr_archive.ACTIVATING}
    assert set(enum(model, "ImageStatusFilter")) == ecr_archive.STATUS_FILTERS
    assert {"imageStatus", "lastArchivedAt", "lastActivatedAt"} <= set(shape_members(model, "ImageDetail"))


def test_archiving_makes_an_image_archived_and_out_of_listings(ecr: Any, image: str) -> None:
    other = push_image(ecr, "ubuntu", "22.04", seed="jammy")
    response = archive(ecr, image)

    assert response == {
        "registryId": "123456789012",
        "repositoryName": "ubuntu",
        "imageId": {"imageDigest": image},
        "imageStatus": "ARCHIVED",
    }
    assert_conforms(ecr.meta.service_model.operation_model("UpdateImageStorageClass").output_shape, response)
    detail = ecr.describe_images(repositoryName="ubuntu", imageIds=[{"imageDigest": image}])["imageDetails"][0]
    assert detail["imageStatus"] == "ARCHIVED"
    assert "lastArchivedAt" in detail
    assert statuses(ecr) == {other: "ACTIVE"}, "a listing shows ACTIVE images unless filtered"
    assert statuses(ecr, imageStatus="ARCHIVED") == {image: "ARCHIVED"}
    assert statuses(ecr, imageStatus="ANY") == {image: "ARCHIVED", other: "ACTIVE"}


def test_a_restore_is_activating_then_active(ecr: Any, image: str, monkeypatch: pytest.MonkeyPatch) -> None:
    archive(ecr, image)
    monkeypatch.setattr(ecr_archive, "restore_seconds", 3600.0)
    assert archive(ecr, image, "STANDARD")["imageStatus"] == "ACTIVATING"
    assert statuses(ecr, imageStatus="ACTIVATING") == {image: "ACTIVATING"}

    monkeypatch.setattr(ecr_archive, "restore_seconds", 0.0)
    archive_again = push_image(ecr, "ubuntu", "20.04", seed="focal")
    archive(ecr, archive_again)
    archive(ecr, archive_again, "STANDARD")
    detail = ecr.describe_images(repositoryName="ubuntu", imageIds=[{"imageDigest": archive_again}])["imageDetails"][0]
    assert detail["imageStatus"] == "ACTIVE"
    assert {"lastArchivedAt", "lastActivatedAt"} <= set(detail)


@pytest.mark.parametrize(
    ("steps", "code"),
    [
        (["ARCHIVE", "ARCHIVE"], "ImageStorageClassUpdateNotSupportedException"),
        (["STANDARD"], "ImageStorageClassUpdateNotSupportedException"),
        (["GLACIER"], "InvalidParameterException"),
    ],
)
def test_transitions_that_do_not_apply_are_refused(ecr: Any, image: str, steps: list[str], code: str) -> None:
    *before, last = steps
    for step in before:
        archive(ecr, image, step)
    with pytest.raises(ClientError) as raised:
        archive(ecr, image, last)
    assert error_code(raised) == code


def test_unknown_images_and_repositories(ecr: Any, image: str) -> None:
    with pytest.raises(ClientError) as raised:
        archive(ecr, "sha256:" + "0" * 64)
    assert error_code(raised) == "ImageNotFoundException"
    with pytest.raises(ClientError) as raised:
        ecr.update_image_storage_class(
            repositoryName="nowhere", imageId={"imageTag": "v1"}, targetStorageClass="ARCHIVE"
        )
    assert error_code(raised) == "RepositoryNotFoundException"


def test_an_image_named_by_tag_can_be_archived(ecr: Any, image: str) -> None:
    response = ecr.update_image_storage_class(
        repositoryName="ubuntu", imageId={"imageTag": "24.04"}, targetStorageClass="ARCHIVE"
    )
    assert response["imageId"] == {"imageDigest": image, "imageTag": "24.04"}


def test_an_archived_image_cannot_start_a_task(ecr: Any, ecs: Any, ec2: Any, image: str) -> None:
    ecs.create_cluster(clusterName=CLUSTER)
    fargate_definition(ecs, images=(f"{REGISTRY}/ubuntu:24.04",))
    archive(ecr, image)

    started = ecs.run_task(
        cluster=CLUSTER, taskDefinition="pg-web", launchType="FARGATE", networkConfiguration=awsvpc(ec2)
    )["tasks"]

    (task,) = describe_tasks(ecs, [started[0]["taskArn"]])
    assert (task["lastStatus"], task["stopCode"]) == ("STOPPED", "TaskFailedToStart")
    assert task["stoppedReason"] == f"CannotPullContainerError: {REGISTRY}/ubuntu:24.04 is ARCHIVED: restore it first"

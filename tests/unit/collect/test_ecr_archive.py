"""collect/ecr_image.py and the ECR archive storage class: an archived image (or one still being restored)
cannot be pulled, so it reads as gone and its findings are archived; restored, it is judged again."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.ecr_image import EcrImageCollector
from provenance_guard.oci.ecr import EcrRegistries
from provenance_guard_cli.emulator import ecr_archive
from tests.unit.conftest import UNREACHABLE_REGISTRY
from tests.unit.ecr_support import image_ref
from tests.unit.emulator.ecs_support import push_image
from tests.unit.support import REGION


@pytest.fixture
def ecr(aws: None) -> Any:
    return boto3.client("ecr", region_name=REGION)


def collect(digest: str) -> Any:
    clients = ClientFactory(max_attempts=1)
    return EcrImageCollector(clients, EcrRegistries(clients, UNREACHABLE_REGISTRY)).collect(image_ref("ubuntu", digest))


def storage(ecr: Any, digest: str, target: str) -> None:
    ecr.update_image_storage_class(repositoryName="ubuntu", imageId={"imageDigest": digest}, targetStorageClass=target)


def test_an_archived_image_is_gone_and_a_restored_one_is_back(ecr: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    digest = push_image(ecr, "ubuntu", "24.04", seed="ubuntu")
    assert collect(digest) is not None

    storage(ecr, digest, "ARCHIVE")
    assert collect(digest) is None

    storage(ecr, digest, "STANDARD")  # the emulator restores at once by default
    assert collect(digest) is not None


def test_an_image_being_restored_is_not_pullable_yet(ecr: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    digest = push_image(ecr, "ubuntu", "24.04", seed="ubuntu")
    storage(ecr, digest, "ARCHIVE")
    monkeypatch.setattr(ecr_archive, "restore_seconds", 3600.0)
    storage(ecr, digest, "STANDARD")
    assert collect(digest) is None, "ACTIVATING"


def test_the_inventory_leaves_archived_images_out(ecr: Any) -> None:
    from provenance_guard.collect.ecr_image import ecr_images

    kept = push_image(ecr, "ubuntu", "24.04", seed="noble")
    archived = push_image(ecr, "ubuntu", "22.04", seed="jammy")
    storage(ecr, archived, "ARCHIVE")
    assert list(ecr_images(ClientFactory(), REGION)) == [f"ubuntu@{kept}"]

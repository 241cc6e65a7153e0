"""Fixtures of the PG.ECR.3 tests: an ECR repository `team/app` in the emulator, a pusher to the real
docker-registry on loopback, and `judge`, which collects an image as the handler does and runs the
signature control on it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import boto3
import pytest

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.ecr_image import EcrImageCollector
from provenance_guard.controls.ecr_signature import signature_verifies
from provenance_guard.controls.registry import EvaluationContext
from provenance_guard.oci.ecr import EcrRegistries
from provenance_guard.policy import Policy
from provenance_guard_cli.local_registry import Pushed, RegistryPusher, image_manifest, push_image
from tests.unit.ecr_support import image_ref
from tests.unit.signing_support import NOW
from tests.unit.support import ACCOUNT, REGION


@pytest.fixture
def ecr(aws: None) -> Any:
    client = boto3.client("ecr", region_name=REGION)
    client.create_repository(repositoryName="team/app")
    return client


@pytest.fixture
def collector(aws: None, local_registry: str) -> EcrImageCollector:
    clients = ClientFactory(max_attempts=2)  # an injected outage is noticed without minutes of backoff
    return EcrImageCollector(clients, EcrRegistries(clients, local_registry))


@pytest.fixture
def judge(collector: EcrImageCollector) -> Callable[..., Any]:
    """`judge(pushed, policy, repository="team/app", now=NOW)`: the PG.ECR.3 verdict of that image."""

    def run(pushed: Pushed, policy: Policy, repository: str = "team/app", now: datetime = NOW) -> Any:
        snapshot = collector.collect(image_ref(repository, pushed.digest))
        assert snapshot is not None
        return signature_verifies(snapshot, policy, EvaluationContext(ACCOUNT, REGION, "aws", now))

    return run


def new_image(ecr: Any, pusher: RegistryPusher, repository: str = "team/app") -> Pushed:
    """A fresh image (its own digest: the registry outlives each test, and so would its referrers)."""
    layer = f"layer {uuid.uuid4()}".encode()
    return push_image(ecr, pusher, repository, image_manifest(pusher, repository, layer=layer))

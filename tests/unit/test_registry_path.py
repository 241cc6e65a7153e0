"""The OCI data path through the whole pipeline: a manifest read once per run (counted by the registry
itself, a real docker-registry with its access log), and an unreachable registry failed once, fast, with
every affected result saying why."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from provenance_guard.collect.ecr_image_model import ECR_IMAGE
from provenance_guard.model import ResourceRef, Status
from provenance_guard.oci import transport
from provenance_guard.oci.manifest import digest_of
from provenance_guard.triggers import parse_event
from provenance_guard.work import Action, Work
from provenance_guard_cli.local_registry import LocalRegistry, RegistryPusher, image_index, image_manifest, push_image
from tests.unit.ecr_support import ecr_event
from tests.unit.support import ACCOUNT, REGION

BASE = {"org.opencontainers.image.base.name": "public.ecr.aws/docker/library/alpine:3.20"}


@pytest.fixture(scope="module")
def counted_registry() -> Iterator[LocalRegistry]:
    with LocalRegistry(access_log=True) as served:
        yield served


@pytest.fixture
def ecr(aws: None) -> Any:
    return boto3.client("ecr", region_name=REGION)


def manifest_reads(served: LocalRegistry, repository: str, digest: str) -> int:
    return served.requests().count(f"GET /v2/{repository}/manifests/{digest}")


def test_a_push_reads_each_manifest_once_per_run(ecr, counted_registry, make_service):
    """The expander (which digests the push concerns) and the collector (what each records) share one
    reading of every manifest: an index and its two platform images, 3 manifests, 3 GETs."""
    pusher = RegistryPusher(counted_registry.url)
    ecr.create_repository(repositoryName="once/app")
    arm = push_image(ecr, pusher, "once/app", image_manifest(pusher, "once/app", labels=BASE))
    amd = push_image(ecr, pusher, "once/app", image_manifest(pusher, "once/app", labels=BASE, layer=b"amd"))
    index = push_image(ecr, pusher, "once/app", image_index([("linux/arm64", arm), ("linux/amd64", amd)]), "v1")
    service = make_service(registry_url=counted_registry.url)
    event = ecr_event("ecr-image-action-push.json", **{"repository-name": "once/app", "image-digest": index.digest})

    report = service.pipeline.run(parse_event(event))

    assert {e.ref.name for e in report.evaluated} >= {f"once/app@{d.digest}" for d in (index, arm, amd)}
    assert [manifest_reads(counted_registry, "once/app", d.digest) for d in (index, arm, amd)] == [1, 1, 1]

    service.pipeline.run(parse_event(event))  # the next run (the next event) reads afresh
    assert [manifest_reads(counted_registry, "once/app", d.digest) for d in (index, arm, amd)] == [2, 2, 2]


class CountingOpener:
    def __init__(self, opener: Callable[..., Any]) -> None:
        self.opener = opener
        self.attempts = 0

    def __call__(self, request: Any, timeout: float) -> Any:
        self.attempts += 1
        return self.opener(request, timeout)


def test_an_unreachable_registry_costs_one_attempt_one_line_and_says_why_on_every_result(
    ecr, make_service, monkeypatch, caplog
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{probe.getsockname()[1]}"
    opener = CountingOpener(transport.open_pooled)
    monkeypatch.setattr(transport, "open_pooled", opener)
    ecr.create_repository(repositoryName="down/app")
    images = []
    for index in range(6):
        manifest = f'{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","n":{index}}}'
        digest = digest_of(manifest.encode())  # moto would pick one of 101 digests at random
        ecr.put_image(repositoryName="down/app", imageManifest=manifest, imageTag=f"v{index}", imageDigest=digest)
        images.append(ResourceRef(ECR_IMAGE, f"down/app@{digest}", ACCOUNT, REGION))
    service = make_service(registry_url=refused)

    with caplog.at_level(logging.WARNING):
        report = service.pipeline.run([Work(Action.EXPAND, ref) for ref in images])

    assert opener.attempts == 1
    lines = [r.getMessage() for r in caplog.records if "unreachable" in r.getMessage() or "registry" in r.getMessage()]
    assert len(lines) == 1, lines
    assert refused in lines[0]
    assert "PROVENANCE_GUARD_REGISTRY_URL" in lines[0]
    assert "--registry-url" in lines[0]
    provenance = [e.verdict for e in report.evaluated if e.verdict.control_id == "PG.ECR.4"]
    assert len(provenance) == len(images)
    for verdict in provenance:
        assert verdict.status is Status.NOT_AVAILABLE
        assert any(refused in r.description and "is unreachable" in r.description for r in verdict.reasons)

"""ECR collectors against moto (the project's emulator) and a real registry on loopback."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from provenance_guard.clients import ClientFactory
from provenance_guard.collect.ecr import repository_names as ecr_repositories
from provenance_guard.collect.ecr_expand import ImageExpander
from provenance_guard.collect.ecr_image import EcrImageCollector, ecr_images
from provenance_guard.collect.ecr_repository import (
    ECR_REGISTRY,
    ECR_REPOSITORY,
    EcrRepositoryCollector,
    registry_repositories_work,
)
from provenance_guard.collect.ecr_scan import BASIC, INSPECTOR
from provenance_guard.oci.ecr import EcrRegistries
from provenance_guard.work import Action
from provenance_guard_cli.emulator.ecr_scans import plan_scan
from provenance_guard_cli.local_registry import image_index, image_manifest, push_image
from tests.unit.ecr_support import image_ref, repository_ref
from tests.unit.support import ACCOUNT, REGION

BASE = "org.opencontainers.image.base.name"
CVE = {
    "id": "CVE-2025-0001",
    "severity": "HIGH",
    "package": "openssl",
    "version": "3.0.13",
    "fixedIn": "3.0.14",
    "score": 7.5,
}


@pytest.fixture
def ecr(aws: None) -> Any:
    return boto3.client("ecr", region_name=REGION)


@pytest.fixture
def collector(aws: None, local_registry: str) -> EcrImageCollector:
    clients = ClientFactory()
    return EcrImageCollector(clients, EcrRegistries(clients, local_registry))


def continuous(ecr: Any, pattern: str = "*") -> None:
    ecr.put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[
            {"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": pattern, "filterType": "WILDCARD"}]}
        ],
    )


def test_a_repository_snapshot(ecr):
    ecr.create_repository(
        repositoryName="team/app",
        imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "latest"}],
        imageScanningConfiguration={"scanOnPush": True},
        tags=[{"Key": "team", "Value": "payments"}],
    )
    continuous(ecr, "team/*")

    repo = EcrRepositoryCollector(ClientFactory()).collect(repository_ref("team/app"))

    assert repo is not None
    assert repo.tag_mutability == "IMMUTABLE_WITH_EXCLUSION"
    assert repo.mutability_exclusions == ("latest",)
    assert repo.scan_on_push is True
    assert repo.registry_scanning.coverage("team/app") == ("CONTINUOUS_SCAN", "team/*")
    assert repo.tags == {"team": "payments"}
    assert repo.asff_details()["AwsEcrRepository"]["ImageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"


def test_a_missing_repository_is_gone(aws):
    assert EcrRepositoryCollector(ClientFactory()).collect(repository_ref("nope")) is None


def test_an_image_with_its_base_label_and_basic_scan(ecr, pusher, collector):
    ecr.create_repository(repositoryName="team/app", imageScanningConfiguration={"scanOnPush": True})
    document = image_manifest(pusher, "team/app", labels={BASE: "public.ecr.aws/docker/library/alpine:3.20"})
    pushed = push_image(ecr, pusher, "team/app", document, "v1")
    plan_scan("team/app", pushed.digest, vulnerabilities=[CVE])

    image = collector.collect(image_ref("team/app", pushed.digest))

    assert image is not None
    assert image.kind == "image"
    assert image.image_tags == ("v1",)
    assert image.base_image is not None
    assert (image.base_image.name, image.base_image.recorded_in) == (
        "public.ecr.aws/docker/library/alpine:3.20",
        "config label",
    )
    assert image.scan is not None
    assert (image.scan.source, image.scan.status, dict(image.scan.counts)) == (BASIC, "COMPLETE", {"HIGH": 1})
    assert image.scan.worst[0].id == "CVE-2025-0001"
    assert isinstance(image.pushed_at, datetime)


def test_the_manifest_annotation_wins_and_inspector_findings_are_read(ecr, pusher, collector):
    ecr.create_repository(repositoryName="svc")
    continuous(ecr)
    document = image_manifest(
        pusher,
        "svc",
        labels={BASE: "docker.io/library/alpine:3"},
        annotations={BASE: "quay.io/org/base:1", "org.opencontainers.image.base.digest": "sha256:" + "e" * 64},
    )
    pushed = push_image(ecr, pusher, "svc", document, "v1")
    plan_scan(
        "svc",
        pushed.digest,
        vulnerabilities=[CVE, {**CVE, "id": "CVE-2025-0002", "severity": "CRITICAL", "status": "CLOSED"}],
    )

    image = collector.collect(image_ref("svc", pushed.digest))

    assert image is not None
    assert image.base_image is not None
    assert image.scan is not None
    assert image.base_image.name == "quay.io/org/base:1"
    assert image.base_image.digest == "sha256:" + "e" * 64
    assert image.scan.source == INSPECTOR
    assert image.scan.status == "ACTIVE"
    assert dict(image.scan.counts) == {"HIGH": 1}  # the closed finding no longer counts
    assert image.scan.worst[0].fix == "fixed in 3.0.14"
    assert image.scan.fixable == 1


def test_an_index_carries_its_platform_images(ecr, pusher, collector):
    ecr.create_repository(repositoryName="multi", imageScanningConfiguration={"scanOnPush": True})
    arm = push_image(
        ecr, pusher, "multi", image_manifest(pusher, "multi", labels={BASE: "alpine"}, architecture="arm64")
    )
    amd = push_image(
        ecr,
        pusher,
        "multi",
        image_manifest(pusher, "multi", labels={BASE: "alpine"}, architecture="amd64", layer=b"amd"),
    )
    index = push_image(ecr, pusher, "multi", image_index([("linux/arm64", arm), ("linux/amd64", amd)]), "latest")

    snapshot = collector.collect(image_ref("multi", index.digest))

    assert snapshot is not None
    assert snapshot.kind == "index"
    assert snapshot.scan is None
    assert [(p, c.digest if c else None) for p, c in snapshot.platforms] == [
        ("linux/arm64", arm.digest),
        ("linux/amd64", amd.digest),
    ]
    assert all(c is not None and c.scan is not None and c.scan.status == "COMPLETE" for _, c in snapshot.platforms)
    clients = ClientFactory()
    expand = ImageExpander(clients, EcrRegistries(clients, pusher.url))
    work = expand(image_ref("multi", index.digest))
    assert [w.resource.name for w in work] == [f"multi@{d}" for d in (index.digest, arm.digest, amd.digest)]
    # a platform image's scan changes its index's summary: the index is judged again too
    assert [w.resource.name for w in expand(image_ref("multi", amd.digest))] == [
        f"multi@{amd.digest}",
        f"multi@{index.digest}",
    ]
    assert [w.resource.name for w in expand(image_ref("gone", amd.digest))] == [f"gone@{amd.digest}"]


def test_a_signature_is_an_artifact(ecr, pusher, collector):
    ecr.create_repository(repositoryName="signed")
    subject = push_image(ecr, pusher, "signed", image_manifest(pusher, "signed"), "v1")
    empty = pusher.blob("signed", b"{}")
    signature = push_image(
        ecr,
        pusher,
        "signed",
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": "application/vnd.cncf.notary.signature",
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
            "layers": [{"mediaType": "application/jose+json", "digest": pusher.blob("signed", b"jws"), "size": 3}],
            "subject": {"mediaType": subject.media_type, "digest": subject.digest, "size": subject.size},
        },
    )
    snapshot = collector.collect(image_ref("signed", signature.digest))
    assert snapshot is not None
    assert snapshot.kind == "artifact"


def test_a_digest_that_no_longer_exists_is_gone(ecr, collector):
    ecr.create_repository(repositoryName="team/app")
    assert collector.collect(image_ref("team/app", "sha256:" + "0" * 64)) is None
    assert collector.collect(image_ref("deleted-repo", "sha256:" + "0" * 64)) is None


def test_an_unreadable_manifest_is_recorded_not_raised(ecr, pusher, aws):
    ecr.create_repository(repositoryName="team/app")
    pushed = push_image(ecr, pusher, "team/app", image_manifest(pusher, "team/app"), "v1")
    clients = ClientFactory()
    snapshot = EcrImageCollector(clients, EcrRegistries(clients, "http://127.0.0.1:9")).collect(
        image_ref("team/app", pushed.digest)
    )
    assert snapshot is not None
    assert snapshot.oci_error is not None
    assert snapshot.base_image is None


def test_pull_through_cache_repositories_know_their_upstream(ecr, pusher, collector):
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="quay", upstreamRegistryUrl="quay.io")
    ecr.create_repository(repositoryName="quay/coreos/etcd")
    pushed = push_image(ecr, pusher, "quay/coreos/etcd", image_manifest(pusher, "quay/coreos/etcd"), "v3")
    snapshot = collector.collect(image_ref("quay/coreos/etcd", pushed.digest))
    assert snapshot is not None
    assert snapshot.upstream == "quay.io/coreos/etcd"


def test_a_registry_expands_into_its_repositories(ecr):
    for name in ("a-repo", "b-repo"):
        ecr.create_repository(repositoryName=name)
    ref = repository_ref("x")
    work = registry_repositories_work(ClientFactory(), ref.__class__(ECR_REGISTRY, ACCOUNT, ACCOUNT, REGION))
    assert [(w.action, w.resource.kind, w.resource.name) for w in work] == [
        (Action.EVALUATE, ECR_REPOSITORY, "a-repo"),
        (Action.EVALUATE, ECR_REPOSITORY, "b-repo"),
    ]


def test_the_sweep_inventories_repositories_and_images_but_not_referrers(ecr, pusher):
    ecr.create_repository(repositoryName="inv")
    image = push_image(ecr, pusher, "inv", image_manifest(pusher, "inv"), "v1")
    empty = pusher.blob("inv", b"{}")
    push_image(
        ecr,
        pusher,
        "inv",
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": "application/spdx+json",
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
            "layers": [],
            "subject": {"mediaType": image.media_type, "digest": image.digest, "size": image.size},
        },
    )
    clients = ClientFactory()
    assert list(ecr_repositories(clients, REGION)) == ["inv"]
    assert list(ecr_images(clients, REGION)) == [f"inv@{image.digest}"]  # the SBOM referrer is skipped


def test_push_times_from_the_emulator_are_read(ecr, pusher, collector):
    ecr.create_repository(repositoryName="old")
    pushed = push_image(ecr, pusher, "old", image_manifest(pusher, "old"), "v1")
    plan_scan("old", pushed.digest, pushed_at=datetime(2024, 1, 1, tzinfo=UTC))
    snapshot = collector.collect(image_ref("old", pushed.digest))
    assert snapshot is not None
    assert snapshot.pushed_at == datetime(2024, 1, 1, tzinfo=UTC)


def test_a_config_blob_that_is_not_json_is_recorded_as_unreadable(ecr, pusher, collector):
    ecr.create_repository(repositoryName="broken")
    config = pusher.blob("broken", b"not json")
    document = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 8},
        "layers": [],
    }
    pushed = push_image(ecr, pusher, "broken", document, "v1")
    snapshot = collector.collect(image_ref("broken", pushed.digest))
    assert snapshot is not None
    assert snapshot.oci_error is not None
    assert "not JSON" in snapshot.oci_error

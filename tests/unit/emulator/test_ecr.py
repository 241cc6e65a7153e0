"""The emulator's ECR: scan status and findings per the registry's scanning rules, scan plans, push
times, paging, pull-through cache rules, tag-mutability exclusions (moto lacks or fakes them)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from provenance_guard_cli.emulator.ecr_scans import plan_scan

CVE = {
    "id": "CVE-2025-0001",
    "severity": "CRITICAL",
    "package": "openssl",
    "version": "3.0.13",
    "fixedIn": "3.0.14",
    "score": 9.8,
}
LOW = {"id": "CVE-2025-0002", "severity": "LOW", "package": "zlib", "version": "1.3"}


def push(ecr: Any, repository: str, seed: str = "a", tag: str | None = "v1", **document: Any) -> str:
    config = {
        "mediaType": "application/vnd.oci.image.config.v1+json",
        "digest": "sha256:" + hashlib.sha256(seed.encode()).hexdigest(),
        "size": 2,
    }
    body = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config,
        "layers": [],
    }
    body.update(document)
    raw = json.dumps(body)
    digest = "sha256:" + hashlib.sha256(raw.encode()).hexdigest()
    request = {"repositoryName": repository, "imageManifest": raw, "imageDigest": digest}
    if tag:
        request["imageTag"] = tag
    ecr.put_image(**request)
    return digest


def detail(ecr: Any, repository: str, digest: str) -> dict[str, Any]:
    found: dict[str, Any] = ecr.describe_images(repositoryName=repository, imageIds=[{"imageDigest": digest}])[
        "imageDetails"
    ][0]
    return found


def enhanced(ecr: Any, frequency: str = "CONTINUOUS_SCAN", pattern: str = "*") -> None:
    ecr.put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[{"scanFrequency": frequency, "repositoryFilters": [{"filter": pattern, "filterType": "WILDCARD"}]}],
    )


def test_an_unscanned_image_has_no_scan_status_and_no_findings(ecr):
    ecr.create_repository(repositoryName="plain")
    digest = push(ecr, "plain")
    assert "imageScanStatus" not in detail(ecr, "plain", digest)
    with pytest.raises(ClientError) as raised:
        ecr.describe_image_scan_findings(repositoryName="plain", imageId={"imageDigest": digest})
    assert raised.value.response["Error"]["Code"] == "ScanNotFoundException"


def test_basic_scan_on_push_reports_the_planned_findings(ecr):
    ecr.create_repository(repositoryName="scanned", imageScanningConfiguration={"scanOnPush": True})
    digest = push(ecr, "scanned")
    plan_scan("scanned", digest, vulnerabilities=[CVE, LOW])

    image = detail(ecr, "scanned", digest)
    findings = ecr.describe_image_scan_findings(repositoryName="scanned", imageId={"imageDigest": digest})

    assert image["imageScanStatus"]["status"] == "COMPLETE"
    assert image["imageScanFindingsSummary"]["findingSeverityCounts"] == {"CRITICAL": 1, "LOW": 1}
    assert findings["imageScanFindings"]["findingSeverityCounts"] == {"CRITICAL": 1, "LOW": 1}
    first = findings["imageScanFindings"]["findings"][0]
    assert first["name"] == "CVE-2025-0001"
    assert {"key": "package_name", "value": "openssl"} in first["attributes"]


def test_a_registry_rule_scans_on_push_and_manual_does_not(ecr):
    ecr.put_registry_scanning_configuration(
        scanType="BASIC",
        rules=[
            {"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "prod-*", "filterType": "WILDCARD"}]},
            {"scanFrequency": "MANUAL", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]},
        ],
    )
    ecr.create_repository(repositoryName="prod-api")
    ecr.create_repository(repositoryName="dev-api")
    assert detail(ecr, "prod-api", push(ecr, "prod-api"))["imageScanStatus"]["status"] == "COMPLETE"
    manual = push(ecr, "dev-api")
    assert "imageScanStatus" not in detail(ecr, "dev-api", manual)
    ecr.start_image_scan(repositoryName="dev-api", imageId={"imageDigest": manual})
    assert detail(ecr, "dev-api", manual)["imageScanStatus"]["status"] == "COMPLETE"


def test_enhanced_scanning_reports_active_and_inspector_findings(ecr):
    enhanced(ecr)
    ecr.create_repository(repositoryName="svc")
    digest = push(ecr, "svc")
    plan_scan("svc", digest, vulnerabilities=[CVE])

    assert detail(ecr, "svc", digest)["imageScanStatus"]["status"] == "ACTIVE"
    findings = ecr.describe_image_scan_findings(repositoryName="svc", imageId={"imageDigest": digest})[
        "imageScanFindings"
    ]
    [finding] = findings["enhancedFindings"]
    assert finding["packageVulnerabilityDetails"]["vulnerablePackages"][0]["fixedInVersion"] == "3.0.14"
    assert finding["fixAvailable"] == "YES"


def test_enhanced_scanning_ignores_the_repository_flag(ecr):
    enhanced(ecr, pattern="prod-*")
    ecr.create_repository(repositoryName="legacy", imageScanningConfiguration={"scanOnPush": True})
    assert "imageScanStatus" not in detail(ecr, "legacy", push(ecr, "legacy"))


def test_planned_failures_and_push_times(ecr):
    ecr.create_repository(repositoryName="odd", imageScanningConfiguration={"scanOnPush": True})
    digest = push(ecr, "odd")
    pushed = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    plan_scan(
        "odd",
        digest,
        status="UNSUPPORTED_IMAGE",
        description="The operating system is not supported.",
        pushed_at=pushed,
    )

    image = detail(ecr, "odd", digest)
    findings = ecr.describe_image_scan_findings(repositoryName="odd", imageId={"imageDigest": digest})

    assert image["imagePushedAt"] == pushed
    assert image["imageScanStatus"] == {
        "status": "UNSUPPORTED_IMAGE",
        "description": "The operating system is not supported.",
    }
    assert "imageScanFindingsSummary" not in image
    assert "imageScanFindings" not in findings


def test_indexes_and_referrers_are_not_scanned_and_referrers_name_their_subject(ecr):
    ecr.create_repository(repositoryName="multi", imageScanningConfiguration={"scanOnPush": True})
    image = push(ecr, "multi", tag=None)
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": image, "size": 10}],
    }
    raw = json.dumps(index)
    index_digest = "sha256:" + hashlib.sha256(raw.encode()).hexdigest()
    ecr.put_image(repositoryName="multi", imageManifest=raw, imageDigest=index_digest, imageTag="latest")
    signature = push(
        ecr,
        "multi",
        "sig",
        tag=None,
        artifactType="application/vnd.cncf.notary.signature",
        subject={"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": image, "size": 10},
    )

    assert "imageScanStatus" not in detail(ecr, "multi", index_digest)
    referrer = detail(ecr, "multi", signature)
    assert "imageScanStatus" not in referrer
    assert referrer["subjectManifestDigest"] == image
    assert referrer["artifactMediaType"] == "application/vnd.cncf.notary.signature"


def test_describe_images_pages_and_filters_on_tag_status(ecr):
    ecr.create_repository(repositoryName="many")
    digests = {push(ecr, "many", str(i), tag=f"v{i}" if i % 2 else None) for i in range(5)}
    pages = list(ecr.get_paginator("describe_images").paginate(repositoryName="many", PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    assert {d["imageDigest"] for p in pages for d in p["imageDetails"]} == digests
    tagged = ecr.describe_images(repositoryName="many", filter={"tagStatus": "TAGGED"})["imageDetails"]
    assert len(tagged) == 2
    with pytest.raises(ClientError) as raised:
        ecr.describe_images(repositoryName="many", imageIds=[{"imageDigest": "sha256:" + "0" * 64}])
    assert raised.value.response["Error"]["Code"] == "ImageNotFoundException"


def test_pull_through_cache_rules(ecr):
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="ecr-public", upstreamRegistryUrl="public.ecr.aws")
    ecr.create_pull_through_cache_rule(
        ecrRepositoryPrefix="hub",
        upstreamRegistryUrl="registry-1.docker.io",
        upstreamRegistry="docker-hub",
        credentialArn="arn:aws:secretsmanager:us-east-1:123456789012:secret:ecr-pullthroughcache/hub-AbCdEf",
    )
    rules = ecr.describe_pull_through_cache_rules()["pullThroughCacheRules"]
    assert [(r["ecrRepositoryPrefix"], r["upstreamRegistry"]) for r in rules] == [
        ("ecr-public", "ecr-public"),
        ("hub", "docker-hub"),
    ]
    one = ecr.describe_pull_through_cache_rules(ecrRepositoryPrefixes=["hub"])["pullThroughCacheRules"]
    assert [r["upstreamRegistryUrl"] for r in one] == ["registry-1.docker.io"]
    for call, code in (
        (
            lambda: ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="hub", upstreamRegistryUrl="quay.io"),
            "PullThroughCacheRuleAlreadyExistsException",
        ),
        (
            lambda: ecr.create_pull_through_cache_rule(
                ecrRepositoryPrefix="gh", upstreamRegistryUrl="ghcr.io", upstreamRegistry="github-container-registry"
            ),
            "InvalidParameterException",
        ),
        (
            lambda: ecr.describe_pull_through_cache_rules(ecrRepositoryPrefixes=["nope"]),
            "PullThroughCacheRuleNotFoundException",
        ),
        (
            lambda: ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix="nope"),
            "PullThroughCacheRuleNotFoundException",
        ),
    ):
        with pytest.raises(ClientError) as raised:
            call()
        assert raised.value.response["Error"]["Code"] == code
    ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix="hub")
    assert len(ecr.describe_pull_through_cache_rules()["pullThroughCacheRules"]) == 1


def test_tag_mutability_exclusions_round_trip(ecr):
    """moto already supports the new exclusion API; pinned here because PG.ECR.2 reads it."""
    ecr.create_repository(repositoryName="pinned")
    ecr.put_image_tag_mutability(
        repositoryName="pinned",
        imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "latest"}],
    )
    [repository] = ecr.describe_repositories(repositoryNames=["pinned"])["repositories"]
    assert repository["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert repository["imageTagMutabilityExclusionFilters"] == [{"filterType": "WILDCARD", "filter": "latest"}]


def test_a_reset_forgets_plans(ecr, boto_session):
    ecr.create_repository(repositoryName="rr", imageScanningConfiguration={"scanOnPush": True})
    digest = push(ecr, "rr")
    plan_scan("rr", digest, vulnerabilities=[CVE])
    from moto.ecr.models import ecr_backends

    ecr_backends["123456789012"]["us-east-1"].reset()
    ecr.create_repository(repositoryName="rr", imageScanningConfiguration={"scanOnPush": True})
    assert push(ecr, "rr") == digest
    assert detail(ecr, "rr", digest)["imageScanFindingsSummary"]["findingSeverityCounts"] == {}


def test_a_plan_needs_known_severities(aws):
    with pytest.raises(ValueError, match="severity"):
        plan_scan("r", "sha256:" + "a" * 64, vulnerabilities=[{"id": "CVE-1", "severity": "SEVERE"}])


def test_scans_are_planned_over_http(boto_session):
    from botocore.config import Config

    from provenance_guard_cli.emulator.server import EmulatorServer

    with EmulatorServer() as server:
        ecr = boto_session.client("ecr", endpoint_url=server.url, config=Config(retries={"total_max_attempts": 1}))
        ecr.create_repository(repositoryName="remote", imageScanningConfiguration={"scanOnPush": True})
        digest = push(ecr, "remote")
        server.plan_scan("remote", digest, vulnerabilities=[CVE], pushedAt="2025-01-02T03:04:05Z")
        image = detail(ecr, "remote", digest)
        assert image["imageScanFindingsSummary"]["findingSeverityCounts"] == {"CRITICAL": 1}
        assert image["imagePushedAt"] == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
        with pytest.raises(Exception, match="400"):
            server.plan_scan("remote", digest, vulnerabilities=[{"id": "CVE-1", "severity": "BAD"}])

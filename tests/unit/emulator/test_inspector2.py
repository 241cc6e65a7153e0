"""The emulator's Inspector ListFindings: one finding per vulnerability of each image Inspector scans,
filtered by the criteria (moto answers from a static queue), paged, closed findings kept apart."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from provenance_guard_cli.emulator.ecr_scans import plan_scan
from tests.unit.emulator.test_ecr import CVE, LOW, enhanced, push


def equals(value: str) -> list[dict[str, str]]:
    return [{"comparison": "EQUALS", "value": value}]


def test_findings_are_filtered_to_one_image(ecr, inspector):
    enhanced(ecr)
    ecr.create_repository(repositoryName="svc")
    first, second = push(ecr, "svc", "1"), push(ecr, "svc", "2", tag="v2")
    plan_scan("svc", first, vulnerabilities=[CVE, LOW])
    plan_scan("svc", second, vulnerabilities=[CVE])

    found = inspector.list_findings(
        filterCriteria={"ecrImageHash": equals(first), "ecrImageRepositoryName": equals("svc")}
    )["findings"]

    assert sorted(f["packageVulnerabilityDetails"]["vulnerabilityId"] for f in found) == [
        "CVE-2025-0001",
        "CVE-2025-0002",
    ]
    image = found[0]["resources"][0]
    assert image["type"] == "AWS_ECR_CONTAINER_IMAGE"
    assert image["details"]["awsEcrContainerImage"]["imageHash"] == first
    assert image["id"] == f"arn:aws:ecr:us-east-1:123456789012:repository/svc/{first}"
    assert len(inspector.list_findings()["findings"]) == 3


def test_closed_findings_have_their_status(ecr, inspector):
    enhanced(ecr)
    ecr.create_repository(repositoryName="svc")
    digest = push(ecr, "svc")
    plan_scan("svc", digest, vulnerabilities=[CVE, {**LOW, "status": "CLOSED"}])

    active = inspector.list_findings(filterCriteria={"ecrImageHash": equals(digest), "findingStatus": equals("ACTIVE")})
    closed = inspector.list_findings(filterCriteria={"findingStatus": equals("CLOSED")})

    assert [f["severity"] for f in active["findings"]] == ["CRITICAL"]
    assert [f["status"] for f in closed["findings"]] == ["CLOSED"]


def test_only_images_inspector_scans_have_findings(ecr, inspector):
    ecr.create_repository(repositoryName="basic", imageScanningConfiguration={"scanOnPush": True})
    plan_scan("basic", push(ecr, "basic"), vulnerabilities=[CVE])
    assert inspector.list_findings()["findings"] == []


def test_paging_and_prefix_and_not_equals(ecr, inspector):
    enhanced(ecr)
    ecr.create_repository(repositoryName="svc")
    digest = push(ecr, "svc")
    plan_scan("svc", digest, vulnerabilities=[{**CVE, "id": f"CVE-2025-{i:04d}"} for i in range(7)])
    pages = list(inspector.get_paginator("list_findings").paginate(PaginationConfig={"PageSize": 3}))
    assert [len(p["findings"]) for p in pages] == [3, 3, 1]
    prefixed = inspector.list_findings(
        filterCriteria={"vulnerabilityId": [{"comparison": "PREFIX", "value": "CVE-2025-000"}]}
    )
    assert len(prefixed["findings"]) == 7
    others = inspector.list_findings(filterCriteria={"ecrImageHash": [{"comparison": "NOT_EQUALS", "value": digest}]})
    assert others["findings"] == []


def test_unsupported_criteria_are_refused_not_ignored(inspector):
    with pytest.raises(ClientError) as raised:
        inspector.list_findings(filterCriteria={"ec2InstanceImageId": equals("ami-1")})
    assert raised.value.response["Error"]["Code"] == "ValidationException"

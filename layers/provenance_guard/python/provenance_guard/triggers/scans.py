"""Vulnerability-scan events -> work (CONTROLS.md §2): ECR basic scans, Amazon Inspector scans and findings.

`Inspector2 Scan` names the repository by its ARN; `Inspector2 Finding` names the image in
`detail.resources[].details.awsEcrContainerImage` (its timestamps are not ISO-8601, and nothing here
depends on them: the image is re-read from AWS).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from provenance_guard.triggers.base import Envelope, Trigger, nested, required
from provenance_guard.triggers.ecr import image_ref
from provenance_guard.work import Action, EventError, Work

FUNCTION = "scan_results"
SCANNED_IMAGE_CONTROLS = frozenset({"PG.ECR.5", "PG.ECR.6"})
VULNERABILITY_CONTROLS = frozenset({"PG.ECR.5"})
REPOSITORY_ARN = re.compile(r"^arn:aws[a-z-]*:ecr:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):repository/(?P<name>.+)$")


def ecr_image_scan(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    image = image_ref(envelope, required(detail, "repository-name"), required(detail, "image-digest"))
    return [Work(Action.EXPAND, image, SCANNED_IMAGE_CONTROLS)]


def inspector_scan(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """`repository-name` is the repository's ARN in Inspector's events (a bare name is accepted too)."""
    named = required(detail, "repository-name")
    arn = REPOSITORY_ARN.match(named)
    repository, account = (arn["name"], arn["account"]) if arn else (named, None)
    image = image_ref(envelope, repository, required(detail, "image-digest"), account)
    return [Work(Action.EXPAND, image, SCANNED_IMAGE_CONTROLS)]


def inspector_finding(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """Created, updated or closed: the image is re-judged from Inspector's current (active) findings."""
    resources = detail.get("resources")
    if not isinstance(resources, list):
        raise EventError("detail.resources is missing or not a list")
    work = []
    for resource in resources:
        if not isinstance(resource, Mapping) or resource.get("type") != "AWS_ECR_CONTAINER_IMAGE":
            continue
        image = nested(resource, "details", "awsEcrContainerImage") or {}
        if not isinstance(image, Mapping):
            raise EventError("resources[].details.awsEcrContainerImage is not an object")
        repository, digest = image.get("repositoryName"), image.get("imageHash")
        account = image.get("registry")
        if not (isinstance(repository, str) and isinstance(digest, str)):
            arn = REPOSITORY_ARN.match(str(resource.get("id", "")))
            if arn is None or "/sha256:" not in arn["name"]:
                raise EventError("an AWS_ECR_CONTAINER_IMAGE resource names no repository and digest")
            repository, _, encoded = arn["name"].rpartition("/sha256:")
            digest, account = f"sha256:{encoded}", arn["account"]
        ref = image_ref(envelope, repository, digest, account if isinstance(account, str) else None)
        work.append(Work(Action.EXPAND, ref, VULNERABILITY_CONTROLS))
    if not work:
        raise EventError("the finding concerns no ECR container image")
    return work


TRIGGERS = (
    Trigger(
        "EcrImageScan",
        "ECR basic scan completed",
        FUNCTION,
        source="aws.ecr",
        detail_type="ECR Image Scan",
        parse=ecr_image_scan,
    ),
    Trigger(
        "InspectorEcrScan",
        "Amazon Inspector scanned an ECR image",
        FUNCTION,
        source="aws.inspector2",
        detail_type="Inspector2 Scan",
        detail={"image-digest": [{"exists": True}]},
        parse=inspector_scan,
    ),
    Trigger(
        "InspectorEcrFinding",
        "An Amazon Inspector finding on an ECR image was created, updated or closed",
        FUNCTION,
        source="aws.inspector2",
        detail_type="Inspector2 Finding",
        detail={"resources": {"type": ["AWS_ECR_CONTAINER_IMAGE"]}},
        parse=inspector_finding,
    ),
)

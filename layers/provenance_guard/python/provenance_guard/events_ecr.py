"""ECR and Amazon Inspector events -> work (CONTROLS.md §2): pushes, replications, deletions, scans,
Inspector findings, and the CloudTrail calls that change repository or registry scanning and tag mutability.

The events name images in several shapes: `ECR Image Action` (and `ECR Referrer Action`, whose
`image-digest` is the image a signature refers to) has an empty `resources` list and names
the repository and digest in `detail`; `Inspector2 Scan` names the repository by its ARN;
`Inspector2 Finding` names the image in `detail.resources[].details.awsEcrContainerImage` (its
timestamps are not ISO-8601, and nothing here depends on them: the image is re-read from AWS).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from provenance_guard.events import Action, Envelope, EventError, Parser, Work, _nested, _required
from provenance_guard.model import ResourceKind, ResourceRef

logger = logging.getLogger(__name__)

REPOSITORY_CONTROLS = frozenset({"PG.ECR.1", "PG.ECR.2"})
PUSHED_IMAGE_CONTROLS = frozenset({"PG.ECR.3", "PG.ECR.4", "PG.ECR.6"})
SCANNED_IMAGE_CONTROLS = frozenset({"PG.ECR.5", "PG.ECR.6"})
VULNERABILITY_CONTROLS = frozenset({"PG.ECR.5"})
SIGNATURE_CONTROLS = frozenset({"PG.ECR.3"})
SIGNATURE_ARTIFACT_TYPES = frozenset(
    {"application/vnd.cncf.notary.signature", "application/vnd.dev.sigstore.bundle.v0.3+json"}
)
"""Referrer artifact types that can change PG.ECR.3 (other referrers, such as SBOMs, do not). A cosign v3
bundle may be an attestation rather than a signature: the subject is re-judged either way, cheaply."""
COSIGN_SIGNATURE_TAG = re.compile(r"^(?P<algorithm>sha256)-(?P<hex>[a-f0-9]{64})\.sig$")
"""The tag of a legacy cosign signature manifest: `sha256-<hex>.sig` signs the image `sha256:<hex>`."""
REPOSITORY_NAME = re.compile(r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")
DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
REGION_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
REPOSITORY_ARN = re.compile(r"^arn:aws[a-z-]*:ecr:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):repository/(?P<name>.+)$")


def _image(envelope: Envelope, repository: str, digest: str, account: str | None = None) -> ResourceRef:
    if not REPOSITORY_NAME.match(repository) or len(repository) > 256:
        raise EventError(f"{repository!r} is not an ECR repository name")
    if not DIGEST.match(digest):
        raise EventError(f"{digest!r} is not an image digest")
    if account is not None and account != envelope.account:
        raise EventError(f"the event names an image of account {account}, not of the event's account")
    return envelope.ref(ResourceKind.ECR_IMAGE, f"{repository}@{digest}")


def _repository(envelope: Envelope, name: str) -> ResourceRef:
    if not REPOSITORY_NAME.match(name) or len(name) > 256:
        raise EventError(f"{name!r} is not an ECR repository name")
    return envelope.ref(ResourceKind.ECR_REPOSITORY, name)


def _ecr_image_action(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """PUSH: the image (an index expands into its platform images) and its repository; DELETE: archive.
    A legacy cosign signature (tag `sha256-<hex>.sig`) pushed or deleted: re-judge PG.ECR.3 of `sha256:<hex>`."""
    if _required(detail, "result") != "SUCCESS":
        return []
    action = _required(detail, "action-type")
    repository = _required(detail, "repository-name")
    image = _image(envelope, repository, _required(detail, "image-digest"))
    signed = COSIGN_SIGNATURE_TAG.match(str(detail.get("image-tag") or ""))
    if signed and action in ("PUSH", "DELETE"):
        # a legacy cosign signature (the `.sig` manifest is no image to judge): re-judge what it signs, so
        # an image pushed before its signature does not stay FAILED, nor one whose signature is deleted PASSED
        subject = _image(envelope, repository, f"{signed['algorithm']}:{signed['hex']}")
        cleanup = [Work(Action.ARCHIVE, image)] if action == "DELETE" else []
        return [*cleanup, Work(Action.EVALUATE, subject, SIGNATURE_CONTROLS)]
    if action == "PUSH":
        return [
            Work(Action.EVALUATE, _repository(envelope, repository), REPOSITORY_CONTROLS),
            Work(Action.EXPAND, image, PUSHED_IMAGE_CONTROLS),
        ]
    if action == "DELETE":
        return [Work(Action.ARCHIVE, image)]
    return []


def _ecr_referrer_action(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """A signature pushed, deleted, archived or restored: re-judge PG.ECR.3 of the image it refers to
    (`image-digest` names that subject), so an image pushed before its signature does not stay FAILED."""
    if _required(detail, "result") != "SUCCESS":
        return []
    if str(detail.get("artifact-media-type")) not in SIGNATURE_ARTIFACT_TYPES:
        return []
    image = _image(envelope, _required(detail, "repository-name"), _required(detail, "image-digest"))
    return [Work(Action.EVALUATE, image, SIGNATURE_CONTROLS)]


def _ecr_replication_action(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """An image replicated into this registry (the event is sent in the destination account and Region and
    names the source in `source-account` / `source-region`). AWS documents no `ECR Image Action` PUSH for
    a replica, so this is how the replica, and the repository ECR may have created for it, get judged
    (should a PUSH arrive too, the second evaluation finds nothing changed and imports nothing).

    PG.ECR.4 judges the replica's source from `container.replicated_repositories`, not from this event:
    the daily sweep cannot see the event, and a verdict that depends on a best-effort event would flip
    back on the next sweep. The source fields are still validated, so a malformed event fails clearly."""
    if _required(detail, "result") != "SUCCESS" or _required(detail, "action-type") != "REPLICATE":
        return []
    source_account, source_region = _required(detail, "source-account"), _required(detail, "source-region")
    if not ACCOUNT_ID.match(source_account):
        raise EventError(f"detail.source-account {source_account!r} is not a 12-digit account id")
    if not REGION_NAME.match(source_region):
        raise EventError(f"detail.source-region {source_region!r} is not a Region name")
    repository = _required(detail, "repository-name")
    image = _image(envelope, repository, _required(detail, "image-digest"))
    logger.info("%s was replicated from %s in %s", image.arn, source_account, source_region)
    return [
        Work(Action.EVALUATE, _repository(envelope, repository), REPOSITORY_CONTROLS),
        Work(Action.EXPAND, image, PUSHED_IMAGE_CONTROLS),
    ]


def _ecr_image_scan(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    image = _image(envelope, _required(detail, "repository-name"), _required(detail, "image-digest"))
    return [Work(Action.EXPAND, image, SCANNED_IMAGE_CONTROLS)]


def _inspector_scan(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """`repository-name` is the repository's ARN in Inspector's events (a bare name is accepted too)."""
    named = _required(detail, "repository-name")
    arn = REPOSITORY_ARN.match(named)
    repository, account = (arn["name"], arn["account"]) if arn else (named, None)
    image = _image(envelope, repository, _required(detail, "image-digest"), account)
    return [Work(Action.EXPAND, image, SCANNED_IMAGE_CONTROLS)]


def _inspector_finding(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """Created, updated or closed: the image is re-judged from Inspector's current (active) findings."""
    resources = detail.get("resources")
    if not isinstance(resources, list):
        raise EventError("detail.resources is missing or not a list")
    work = []
    for resource in resources:
        if not isinstance(resource, Mapping) or resource.get("type") != "AWS_ECR_CONTAINER_IMAGE":
            continue
        image = _nested(resource, "details", "awsEcrContainerImage") or {}
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
        ref = _image(envelope, repository, digest, account if isinstance(account, str) else None)
        work.append(Work(Action.EXPAND, ref, VULNERABILITY_CONTROLS))
    if not work:
        raise EventError("the finding concerns no ECR container image")
    return work


def _repository_call(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    ref = _repository(envelope, _required(detail, "requestParameters", "repositoryName"))
    return [Work(Action.EVALUATE, ref, REPOSITORY_CONTROLS)]


def _delete_repository_call(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """The repository and every image of it with findings (deleted with it when `force` was set): archived,
    unless a repository of that name exists again by the time the event is handled."""
    return [Work(Action.EXPAND, _repository(envelope, _required(detail, "requestParameters", "repositoryName")))]


def _registry_scanning_call(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    registry = envelope.ref(ResourceKind.ECR_REGISTRY, envelope.account)
    return [Work(Action.EXPAND, registry, frozenset({"PG.ECR.1"}))]


PARSERS: dict[tuple[str, str], Parser] = {
    ("aws.ecr", "ECR Image Action"): _ecr_image_action,
    ("aws.ecr", "ECR Image Scan"): _ecr_image_scan,
    ("aws.ecr", "ECR Referrer Action"): _ecr_referrer_action,
    ("aws.ecr", "ECR Replication Action"): _ecr_replication_action,
    ("aws.inspector2", "Inspector2 Scan"): _inspector_scan,
    ("aws.inspector2", "Inspector2 Finding"): _inspector_finding,
}
CLOUDTRAIL_PARSERS: dict[tuple[str, str], Parser] = {
    ("ecr.amazonaws.com", "CreateRepository"): _repository_call,
    ("ecr.amazonaws.com", "PutImageScanningConfiguration"): _repository_call,
    ("ecr.amazonaws.com", "PutImageTagMutability"): _repository_call,
    ("ecr.amazonaws.com", "DeleteRepository"): _delete_repository_call,
    ("ecr.amazonaws.com", "PutRegistryScanningConfiguration"): _registry_scanning_call,
}

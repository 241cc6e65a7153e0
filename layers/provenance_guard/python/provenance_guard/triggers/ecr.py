"""ECR events -> work (CONTROLS.md §2): pushes, replications, deletions, signatures (referrers and legacy
cosign tags), and the CloudTrail calls that create or delete repositories or change their scanning and
tag mutability (and the registry's scanning rules).

`ECR Image Action` (and `ECR Referrer Action`, whose `image-digest` is the image a signature refers to)
has an empty `resources` list and names the repository and digest in `detail`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from provenance_guard.collect.ecr_image_model import ECR_IMAGE
from provenance_guard.collect.ecr_repository import ECR_REGISTRY, ECR_REPOSITORY
from provenance_guard.model import ResourceRef
from provenance_guard.oci.media_types import NOTATION_SIGNATURE, SIGSTORE_BUNDLE
from provenance_guard.triggers.base import Envelope, Trigger, required
from provenance_guard.work import Action, EventError, Work

logger = logging.getLogger(__name__)

FUNCTION = "image_push"
REPOSITORY_CONTROLS = frozenset({"PG.ECR.1", "PG.ECR.2"})
PUSHED_IMAGE_CONTROLS = frozenset({"PG.ECR.3", "PG.ECR.4", "PG.ECR.6"})
SIGNATURE_CONTROLS = frozenset({"PG.ECR.3"})
SIGNATURE_ARTIFACT_TYPES = frozenset({NOTATION_SIGNATURE, SIGSTORE_BUNDLE})
"""Referrer artifact types that can change PG.ECR.3 (other referrers, such as SBOMs, do not). A cosign v3
bundle may be an attestation rather than a signature: the subject is re-judged either way, cheaply."""
COSIGN_SIGNATURE_TAG = re.compile(r"^(?P<algorithm>sha256)-(?P<hex>[a-f0-9]{64})\.sig$")
"""The tag of a legacy cosign signature manifest: `sha256-<hex>.sig` signs the image `sha256:<hex>`."""
REPOSITORY_NAME = re.compile(r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")
DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")
ACCOUNT_ID = re.compile(r"^\d{12}$")
REGION_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


def image_ref(envelope: Envelope, repository: str, digest: str, account: str | None = None) -> ResourceRef:
    if not REPOSITORY_NAME.match(repository) or len(repository) > 256:
        raise EventError(f"{repository!r} is not an ECR repository name")
    if not DIGEST.match(digest):
        raise EventError(f"{digest!r} is not an image digest")
    if account is not None and account != envelope.account:
        raise EventError(f"the event names an image of account {account}, not of the event's account")
    return envelope.ref(ECR_IMAGE, f"{repository}@{digest}")


def repository_ref(envelope: Envelope, name: str) -> ResourceRef:
    if not REPOSITORY_NAME.match(name) or len(name) > 256:
        raise EventError(f"{name!r} is not an ECR repository name")
    return envelope.ref(ECR_REPOSITORY, name)


def ecr_image_action(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """PUSH: the image (an index expands into its platform images) and its repository; DELETE: archive.
    A legacy cosign signature (tag `sha256-<hex>.sig`) pushed or deleted: re-judge PG.ECR.3 of `sha256:<hex>`.
    UPDATE_STORAGE_CLASS: archived (`target-storage-class` ARCHIVE, it cannot be pulled) -> its findings are
    archived; restored (STANDARD) -> judged again, every image control."""
    if required(detail, "result") != "SUCCESS":
        return []
    action = required(detail, "action-type")
    repository = required(detail, "repository-name")
    image = image_ref(envelope, repository, required(detail, "image-digest"))
    signed = COSIGN_SIGNATURE_TAG.match(str(detail.get("image-tag") or ""))
    if signed and action in ("PUSH", "DELETE"):
        # a legacy cosign signature (the `.sig` manifest is no image to judge): re-judge what it signs, so
        # an image pushed before its signature does not stay FAILED, nor one whose signature is deleted PASSED
        subject = image_ref(envelope, repository, f"{signed['algorithm']}:{signed['hex']}")
        cleanup = [Work(Action.ARCHIVE, image)] if action == "DELETE" else []
        return [*cleanup, Work(Action.EVALUATE, subject, SIGNATURE_CONTROLS)]
    if action == "PUSH":
        return [
            Work(Action.EVALUATE, repository_ref(envelope, repository), REPOSITORY_CONTROLS),
            Work(Action.EXPAND, image, PUSHED_IMAGE_CONTROLS),
        ]
    if action == "DELETE":
        return [Work(Action.ARCHIVE, image)]
    if action == "UPDATE_STORAGE_CLASS":
        target = required(detail, "target-storage-class")
        if target == "ARCHIVE":
            return [Work(Action.ARCHIVE, image)]
        if target == "STANDARD":
            return [Work(Action.EXPAND, image)]
        raise EventError(f"detail.target-storage-class {target!r} is neither ARCHIVE nor STANDARD")
    return []


def ecr_referrer_action(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """A signature pushed, deleted, archived or restored: re-judge PG.ECR.3 of the image it refers to
    (`image-digest` names that subject), so an image pushed before its signature does not stay FAILED."""
    if required(detail, "result") != "SUCCESS":
        return []
    if str(detail.get("artifact-media-type")) not in SIGNATURE_ARTIFACT_TYPES:
        return []
    image = image_ref(envelope, required(detail, "repository-name"), required(detail, "image-digest"))
    return [Work(Action.EVALUATE, image, SIGNATURE_CONTROLS)]


def ecr_replication_action(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """An image replicated into this registry (the event is sent in the destination account and Region and
    names the source in `source-account` / `source-region`). AWS documents no `ECR Image Action` PUSH for
    a replica, so this is how the replica, and the repository ECR may have created for it, get judged
    (should a PUSH arrive too, the second evaluation finds nothing changed and imports nothing).

    PG.ECR.4 judges the replica's source from `container.replicated_repositories`, not from this event:
    the daily sweep cannot see the event, and a verdict that depends on a best-effort event would flip
    back on the next sweep. The source fields are still validated, so a malformed event fails clearly."""
    if required(detail, "result") != "SUCCESS" or required(detail, "action-type") != "REPLICATE":
        return []
    source_account, source_region = required(detail, "source-account"), required(detail, "source-region")
    if not ACCOUNT_ID.match(source_account):
        raise EventError(f"detail.source-account {source_account!r} is not a 12-digit account id")
    if not REGION_NAME.match(source_region):
        raise EventError(f"detail.source-region {source_region!r} is not a Region name")
    repository = required(detail, "repository-name")
    image = image_ref(envelope, repository, required(detail, "image-digest"))
    logger.info("%s was replicated from %s in %s", image.arn, source_account, source_region)
    return [
        Work(Action.EVALUATE, repository_ref(envelope, repository), REPOSITORY_CONTROLS),
        Work(Action.EXPAND, image, PUSHED_IMAGE_CONTROLS),
    ]


def repository_call(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    ref = repository_ref(envelope, required(detail, "requestParameters", "repositoryName"))
    return [Work(Action.EVALUATE, ref, REPOSITORY_CONTROLS)]


def delete_repository_call(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    """The repository and every image of it with findings (deleted with it when `force` was set): archived,
    unless a repository of that name exists again by the time the event is handled."""
    return [Work(Action.EXPAND, repository_ref(envelope, required(detail, "requestParameters", "repositoryName")))]


def registry_scanning_call(detail: Mapping[str, Any], envelope: Envelope) -> list[Work]:
    registry = envelope.ref(ECR_REGISTRY, envelope.account)
    return [Work(Action.EXPAND, registry, frozenset({"PG.ECR.1"}))]


TRIGGERS = (
    Trigger(
        "EcrImageAction",
        "ECR Image Action PUSH / DELETE / UPDATE_STORAGE_CLASS (archive, restore) that succeeded",
        FUNCTION,
        source="aws.ecr",
        detail_type="ECR Image Action",
        detail={"action-type": ["PUSH", "DELETE", "UPDATE_STORAGE_CLASS"], "result": ["SUCCESS"]},
        parse=ecr_image_action,
    ),
    Trigger(
        "EcrReplicationAction",
        "ECR Replication Action: an image replicated into this registry (AWS documents no PUSH for a replica)",
        FUNCTION,
        source="aws.ecr",
        detail_type="ECR Replication Action",
        detail={"action-type": ["REPLICATE"], "result": ["SUCCESS"]},
        parse=ecr_replication_action,
    ),
    Trigger(
        "EcrReferrerAction",
        "ECR Referrer Action: a signature or other referrer of an image changed",
        FUNCTION,
        source="aws.ecr",
        detail_type="ECR Referrer Action",
        parse=ecr_referrer_action,
    ),
    Trigger(
        "EcrConfigurationCalls",
        "CloudTrail calls that create or delete repositories or change their scanning and tag mutability",
        FUNCTION,
        source="aws.ecr",
        calls={
            "CreateRepository": repository_call,
            "DeleteRepository": delete_repository_call,
            "PutImageScanningConfiguration": repository_call,
            "PutImageTagMutability": repository_call,
            "PutRegistryScanningConfiguration": registry_scanning_call,
        },
    ),
)

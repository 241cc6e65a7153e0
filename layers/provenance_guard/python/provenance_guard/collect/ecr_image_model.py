"""Container images (one digest in one ECR repository): their kind, snapshot and name helpers, shared by
the collector, the expander and the controls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from provenance_guard.collect.ecr_scan import ScanResult
from provenance_guard.collect.ecr_signature import SignatureSet, is_cosign_signature
from provenance_guard.collect.ecr_signing import ManagedSigning, Revocation
from provenance_guard.model import ArnFormat, ResourceKind, ResourceRef
from provenance_guard.oci.manifest import Descriptor, Manifest

DESCRIBE_IMAGES = "ecr:DescribeImages"
MAX_PLATFORMS = 16
DIGEST_IN_ARN = "/sha256:"


def _image_name_from_arn(resource: str) -> str | None:
    repository, marker, digest = resource.partition(DIGEST_IN_ARN)
    return f"{repository}@sha256:{digest}" if marker and repository and digest else None


ECR_IMAGE = ResourceKind(
    "ecr-image",
    asff_type="AwsEcrContainerImage",
    arn=ArnFormat(
        "ecr", "repository/", name_to_arn=lambda name: name.replace("@", "/", 1), name_from_arn=_image_name_from_arn
    ),
    family="ECR",
)
"""`ResourceRef.name` is `<repository>@sha256:<hex>`; the ARN `repository/<repository>/sha256:<hex>`."""


@dataclass(frozen=True)
class BaseImage:
    name: str
    """`org.opencontainers.image.base.name` as recorded (e.g. `docker.io/library/alpine:3.20`)."""
    digest: str | None
    recorded_in: str
    """`manifest annotation` or `config label`."""


@dataclass(frozen=True)
class EcrImageSnapshot:
    ref: ResourceRef
    repository: str
    digest: str
    image_tags: tuple[str, ...]
    pushed_at: datetime | None
    media_type: str
    kind: str
    """`image`, `index` (multi-platform) or `artifact` (a signature, SBOM or other non-image)."""
    scan: ScanResult | None
    """None for an index or artifact (ECR scans platform images)."""
    base_image: BaseImage | None = None
    upstream: str | None = None
    """For a pull-through-cache repository: `host/path` of the upstream repository."""
    oci_error: str | None = None
    """Why the manifest or config could not be read through the registry (then provenance is unknown)."""
    platforms: tuple[tuple[str, EcrImageSnapshot | None], ...] = ()
    """For an index: (platform, snapshot) per entry; None when that digest is not in the repository."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """The repository's resource tags (images have none of their own)."""
    manifest_size: int | None = None
    """Bytes of the manifest as served (a signature's target descriptor must name this size)."""
    signatures: SignatureSet | None = None
    """The Notation signatures whose subject is this digest (None for an artifact, or when unreadable)."""
    revocations: Mapping[str, Revocation] = field(default_factory=dict)
    """AWS Signer's revocation answer per signature manifest digest (AWS Signer signatures only)."""
    managed_signing: ManagedSigning | None = None
    """ECR managed signing, when a signing rule of the registry covers the repository."""

    def asff_details(self) -> dict[str, Any]:
        details: dict[str, Any] = {
            "RegistryId": self.ref.account,
            "RepositoryName": self.repository,
            "ImageDigest": self.digest,
            "ImageTags": list(self.image_tags[:20]),
        }
        if self.pushed_at:
            details["ImagePublishedAt"] = self.pushed_at.isoformat()
        return {"AwsEcrContainerImage": details}


def image_ref(repository: str, digest: str, account: str, region: str, partition: str = "aws") -> ResourceRef:
    return ResourceRef(ECR_IMAGE, f"{repository}@{digest}", account, region, partition)


def manifest_kind(manifest: Manifest) -> str:
    """`index`, `artifact` (OCI 1.1 artifact, non-image config, or a legacy cosign `.sig`/`.att`) or `image`."""
    if manifest.is_index:
        return "index"
    return "artifact" if manifest.artifact_type or is_cosign_signature(manifest) else "image"


def platform_entries(manifest: Manifest) -> list[Descriptor]:
    """The platform images an index lists, at most MAX_PLATFORMS (BuildKit's `unknown/unknown`
    attestation entries are not platforms)."""
    return [e for e in manifest.manifests if e.platform != "unknown/unknown"][:MAX_PLATFORMS]


def split_image_name(name: str) -> tuple[str, str]:
    repository, _, digest = name.partition("@")
    if not repository or not digest:
        raise ValueError(f"an image is named <repository>@<digest>, got {name!r}")
    return repository, digest

"""What the Lambda controls judge: a function, the versions it serves, their code, layers and image."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from provenance_guard.lambda_identifiers import LATEST, ImageReference
from provenance_guard.model import ResourceRef


@dataclass(frozen=True)
class LayerUse:
    """One entry of a version's `Layers` (Lambda reports each layer's signature there)."""

    arn: str
    owner: str | None
    """The publishing account; None for AWS-provided `awslayer` ARNs."""
    signing_profile_version_arn: str | None
    signing_job_arn: str | None


@dataclass(frozen=True)
class SigningJobStatus:
    """AWS Signer's record of the job that signed the deployed code (signer:DescribeSigningJob)."""

    arn: str
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_reason: str | None = None
    error: str | None = None
    """Why the job could not be read (another account's job, access denied, gone)."""


@dataclass(frozen=True)
class ImageEvidence:
    """A container-image version's image: where it comes from, and the ECR image snapshot when readable."""

    uri: str
    resolved_uri: str | None
    reference: ImageReference | None
    ecr_ref: ResourceRef | None
    """The image as the ECR controls judge it (repository@digest in its registry's account and Region)."""
    snapshot: Any | None = None
    """What the ECR image collector read (None when no collector is installed or the image is unreadable)."""
    error: str | None = None


@dataclass(frozen=True)
class FunctionVersion:
    """$LATEST, or a published version an alias routes traffic to."""

    version: str
    aliases: tuple[str, ...]
    runtime: str | None
    code_sha256: str
    last_modified: str
    signing_profile_version_arn: str | None
    signing_job_arn: str | None
    layers: tuple[LayerUse, ...] = ()
    signing_job: SigningJobStatus | None = None
    image: ImageEvidence | None = None

    @property
    def label(self) -> str:
        """How evidence names it: `$LATEST` or `version 3 (alias live, canary)`."""
        name = LATEST if self.version == LATEST else f"version {self.version}"
        return f"{name} (alias {', '.join(self.aliases)})" if self.aliases else name


@dataclass(frozen=True)
class CodeSigning:
    """The code signing configuration attached to the function."""

    config_arn: str
    policy: str | None
    """UntrustedArtifactOnDeployment: Warn or Enforce (None when the configuration could not be read)."""
    allowed_publishers: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class LambdaFunctionSnapshot:
    """Everything the PG.LAMBDA controls judge, for the unqualified function."""

    ref: ResourceRef
    package_type: str
    """`Zip` or `Image`."""
    versions: tuple[FunctionVersion, ...]
    """$LATEST first, then every version an alias points to, in version order."""
    code_signing: CodeSigning | None
    tags: Mapping[str, str]
    handler: str | None = None
    architectures: tuple[str, ...] = ()

    @property
    def is_image(self) -> bool:
        return self.package_type == "Image"

    @property
    def latest(self) -> FunctionVersion:
        return self.versions[0]

    def asff_details(self) -> dict[str, Any]:
        latest = self.latest
        details: dict[str, Any] = {
            "FunctionName": self.ref.name,
            "CodeSha256": latest.code_sha256,
            "LastModified": latest.last_modified,
            "Version": latest.version,
            "PackageType": self.package_type,
            "Layers": [{"Arn": layer.arn} for layer in latest.layers],
        }
        if latest.runtime:
            details["Runtime"] = latest.runtime
        if self.handler:
            details["Handler"] = self.handler
        if self.architectures:
            details["Architectures"] = list(self.architectures)
        return {"AwsLambdaFunction": details}

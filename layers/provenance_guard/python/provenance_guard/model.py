"""Core value types shared by collectors, controls and the findings pipeline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    """A control's verdict, as ASFF `Compliance.Status`."""

    PASSED = "PASSED"
    FAILED = "FAILED"
    NOT_AVAILABLE = "NOT_AVAILABLE"


class Severity(StrEnum):
    """ASFF severity labels, ordered from least to most severe."""

    INFORMATIONAL = "INFORMATIONAL"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @property
    def normalized(self) -> int:
        """ASFF `Severity.Normalized` equivalent of the label."""
        return {0: 0, 1: 1, 2: 40, 3: 70, 4: 90}[self.rank]


_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(Severity)}


class ResourceKind(StrEnum):
    """The resources provenance-guard judges, with their ASFF `Resources[0].Type`."""

    AMI = "ami"
    INSTANCE = "instance"
    ECR_REPOSITORY = "ecr-repository"
    ECR_IMAGE = "ecr-image"
    LAMBDA_FUNCTION = "lambda-function"
    IMAGE_BUILDER_IMAGE = "image-builder-image"
    """Not judged itself: expanded into the AMIs the image distributed."""
    CODE_SIGNING_CONFIG = "code-signing-config"
    """Not judged itself: expanded into the Lambda functions that use it (`name` is its ARN)."""
    ECR_REGISTRY = "ecr-registry"
    """Not judged itself: a registry-wide change (scanning rules) expands into its repositories."""

    @property
    def asff_type(self) -> str:
        return _ASFF_TYPES[self]


_ASFF_TYPES = {
    ResourceKind.AMI: "Other",
    ResourceKind.INSTANCE: "AwsEc2Instance",
    ResourceKind.ECR_REPOSITORY: "AwsEcrRepository",
    ResourceKind.ECR_IMAGE: "AwsEcrContainerImage",
    ResourceKind.LAMBDA_FUNCTION: "AwsLambdaFunction",
    ResourceKind.IMAGE_BUILDER_IMAGE: "Other",
    ResourceKind.CODE_SIGNING_CONFIG: "Other",
    ResourceKind.ECR_REGISTRY: "Other",
}


_PARTITION_PREFIXES = (
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-isob-", "aws-iso-b"),
    ("us-iso-", "aws-iso"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-isof-", "aws-iso-f"),
)


def partition_for_region(region: str) -> str:
    """The AWS partition a Region belongs to (`cn-north-1` -> `aws-cn`)."""
    return next((partition for prefix, partition in _PARTITION_PREFIXES if region.startswith(prefix)), "aws")


@dataclass(frozen=True)
class ResourceRef:
    """One resource in one account and region.

    `name` is the resource's own identifier: an AMI id, an instance id, a repository name,
    `<repository>@sha256:<hex>` for an image, a function name (unqualified), an Image Builder image or
    code signing configuration ARN.
    """

    kind: ResourceKind
    name: str
    account: str
    region: str
    partition: str = "aws"

    @property
    def arn(self) -> str:
        """The canonical resource ARN used as ASFF `Resources[0].Id` (CONTROLS.md §3)."""
        p, r, a = self.partition, self.region, self.account
        if self.kind is ResourceKind.AMI:
            return f"arn:{p}:ec2:{r}::image/{self.name}"
        if self.kind is ResourceKind.INSTANCE:
            return f"arn:{p}:ec2:{r}:{a}:instance/{self.name}"
        if self.kind is ResourceKind.ECR_REPOSITORY:
            return f"arn:{p}:ecr:{r}:{a}:repository/{self.name}"
        if self.kind in (ResourceKind.IMAGE_BUILDER_IMAGE, ResourceKind.CODE_SIGNING_CONFIG):
            return self.name
        if self.kind is ResourceKind.ECR_REGISTRY:
            return f"arn:{p}:ecr:{r}:{a}:registry"
        if self.kind is ResourceKind.ECR_IMAGE:
            repository, _, digest = self.name.partition("@")
            return f"arn:{p}:ecr:{r}:{a}:repository/{repository}/{digest}"
        return f"arn:{p}:lambda:{r}:{a}:function:{self.name}"


@dataclass(frozen=True)
class Reason:
    """One entry of ASFF `Compliance.StatusReasons`."""

    code: str
    description: str


@dataclass(frozen=True)
class Verdict:
    """What one control concluded about one resource, with the evidence it saw."""

    control_id: str
    status: Status
    reasons: tuple[Reason, ...]
    evidence: Mapping[str, str] = field(default_factory=dict)
    severity: Severity | None = None
    """Overrides the control's default severity (e.g. a public AMI is CRITICAL)."""
    provisional: bool = False
    """The outcome is expected to change soon without an event announcing it (ECR managed signing in
    progress): the event-driven function re-evaluates the resource a little later."""

    @classmethod
    def passed(cls, control_id: str, reason: str, evidence: Mapping[str, str]) -> Verdict:
        return cls(control_id, Status.PASSED, (Reason("PASSED", reason),), evidence)

    @classmethod
    def failed(
        cls,
        control_id: str,
        reasons: tuple[Reason, ...],
        evidence: Mapping[str, str],
        severity: Severity | None = None,
    ) -> Verdict:
        return cls(control_id, Status.FAILED, reasons, evidence, severity)

    @classmethod
    def not_available(cls, control_id: str, code: str, why: str, evidence: Mapping[str, str]) -> Verdict:
        return cls(control_id, Status.NOT_AVAILABLE, (Reason(code, why),), evidence)


def ref_from_arn(arn: str, account: str) -> ResourceRef | None:
    """The `ResourceRef` whose canonical ARN is `arn` (the inverse of `ResourceRef.arn`), or None for an
    ARN of another shape. `account` fills in what an AMI ARN does not carry."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    _, partition, service, region, _, resource = parts
    if service == "ec2" and resource.startswith("image/"):
        return ResourceRef(ResourceKind.AMI, resource.removeprefix("image/"), account, region, partition)
    if service == "ec2" and resource.startswith("instance/"):
        return ResourceRef(ResourceKind.INSTANCE, resource.removeprefix("instance/"), account, region, partition)
    if service == "ecr" and resource.startswith("repository/"):
        name = resource.removeprefix("repository/")
        repository, marker, digest = name.partition("/sha256:")
        if marker:
            return ResourceRef(ResourceKind.ECR_IMAGE, f"{repository}@sha256:{digest}", account, region, partition)
        return ResourceRef(ResourceKind.ECR_REPOSITORY, name, account, region, partition)
    if service == "lambda" and resource.startswith("function:"):
        return ResourceRef(ResourceKind.LAMBDA_FUNCTION, resource.removeprefix("function:"), account, region, partition)
    return None

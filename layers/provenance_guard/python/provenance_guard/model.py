"""Core value types shared by collectors, controls and the findings pipeline."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


@dataclass(frozen=True)
class ArnFormat:
    """A canonical ARN `arn:<partition>:<service>:<region>:<account>:<prefix><name>` (CONTROLS.md §3).

    `with_account=False` leaves the account field empty (an AMI ARN). `name_to_arn` / `name_from_arn` map a
    `ResourceRef.name` that is spelled differently in the ARN (an image `repo@sha256:hex` is
    `repository/repo/sha256:hex`); `name_from_arn` returns None for a resource part of another kind."""

    service: str
    prefix: str
    with_account: bool = True
    name_to_arn: Callable[[str], str] = str
    name_from_arn: Callable[[str], str | None] = str

    def format(self, ref: ResourceRef) -> str:
        account = ref.account if self.with_account else ""
        return f"arn:{ref.partition}:{self.service}:{ref.region}:{account}:{self.prefix}{self.name_to_arn(ref.name)}"

    def parse(self, service: str, resource: str) -> str | None:
        """The resource's name when `service` and the ARN's resource part are of this format."""
        if service != self.service or not resource.startswith(self.prefix) or len(resource) == len(self.prefix):
            return None
        return self.name_from_arn(resource.removeprefix(self.prefix))


@dataclass(frozen=True, eq=False)
class ResourceKind:
    """A kind of resource provenance-guard names: its name in messages, its ASFF `Resources[0].Type` and
    the canonical ARN of its resources. Each kind is defined once, beside its collector (see
    `provenance_guard.collect.kinds`); kinds compare by identity."""

    value: str
    asff_type: str
    arn: ArnFormat | None
    """None: the resource's name is its ARN (an Image Builder image, a code signing configuration)."""
    family: str | None = None
    """The `<FAMILY>` of the ids of the controls that judge it (`PG.AMI.1`); None for kinds never judged."""
    id_format: Callable[[ResourceRef], str] | None = None
    """The resource id of a kind whose id is not an ARN (an account: `AWS::::Account:<id>`)."""

    def resource_id(self, ref: ResourceRef) -> str:
        if self.id_format is not None:
            return self.id_format(ref)
        return self.arn.format(ref) if self.arn is not None else ref.name

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"ResourceKind({self.value!r})"

    def __copy__(self) -> ResourceKind:
        return self

    def __deepcopy__(self, memo: object) -> ResourceKind:
        return self


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
        """The canonical resource id used as ASFF `Resources[0].Id` (CONTROLS.md §3): an ARN for every
        kind with one."""
        return self.kind.resource_id(self)


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
    quiet: bool = False
    """A PASSED result worth recording only to update an ACTIVE finding of the resource: the ordinary case
    of a resource nobody needs a finding about (a public package version a mirror pulled through an allowed
    connection), which still clears a failure it once had."""

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

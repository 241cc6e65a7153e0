"""What `evaluate` keeps while findings stream past: a light row per finding for the terminal table, and
a running tally (counts per status and severity, what `--import` did, resources that do not exist) that
the summary, the gate and every output format share."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from provenance_guard.findings import Finding
from provenance_guard.model import Severity, Status

SEVERITIES = tuple(reversed(Severity))
"""Most severe first."""
GATE_EXAMPLES = 20


@dataclass(frozen=True)
class Row:
    """One finding as the table shows it: strings only, so thousands of rows stay small."""

    control_id: str
    status: Status
    severity: Severity
    """The result's own severity (an exempted failure keeps it)."""
    exempted: bool
    active: bool
    resource: str
    """The resource's ARN."""
    why: str
    """Every reason (and the exemption), never cut."""

    @property
    def status_text(self) -> str:
        if not self.active:
            return f"{self.status.value} (archived)"
        return f"{self.status.value} (exempted)" if self.exempted else self.status.value

    def sort_key(self) -> tuple[bool, int, int, str, str]:
        order = {Status.FAILED: 0, Status.NOT_AVAILABLE: 1, Status.PASSED: 2}
        failed_first = order[self.status] + (3 if self.exempted else 0)
        return (not self.active, failed_first, -self.severity.rank, self.resource, self.control_id)


def short_resource(arn: str) -> str:
    """`image/ami-…`, `instance/i-…`, `repository/team/app`, or `team/app@sha256:0123456789ab` for an image
    (the digest's first 12 hex digits, as `docker images` shows it)."""
    if ":repository/" in arn:
        path = arn.split(":repository/", 1)[1]
        repository, _, digest = path.partition("/sha256:")
        return f"{repository}@sha256:{digest[:12]}" if digest else f"repository/{repository}"
    return arn.rsplit(":", 1)[-1]


def row(finding: Finding) -> Row:
    reasons = [r.description for r in finding.reasons]
    if finding.exemption:
        reasons.append(f"exempted until {finding.exemption.expires.isoformat()}: {finding.exemption.reason}")
    return Row(
        control_id=finding.control_id,
        status=finding.status,
        severity=finding.severity,
        exempted=finding.exempted,
        active=finding.active,
        resource=finding.resource.arn,
        why="; ".join(reasons),
    )


@dataclass
class Imported:
    imported: int = 0
    unchanged: int = 0
    archived: int = 0


@dataclass
class Tally:
    """The run so far: who, where, when, and how many of what."""

    account: str
    regions: tuple[str, ...]
    policy: str
    started_at: datetime
    finished_at: datetime | None = None
    by_status: Counter[str] = field(default_factory=Counter)
    by_severity: Counter[str] = field(default_factory=Counter)
    by_status_and_severity: Counter[tuple[str, str]] = field(default_factory=Counter)
    exempted: int = 0
    archived: int = 0
    resources: set[str] = field(default_factory=set)
    missing_resources: list[str] = field(default_factory=list)
    """Resources named with `--resource` that do not exist (or cannot be seen)."""
    imported: Imported | None = None
    """What `--import` did; None for a read-only evaluation."""
    tripping: list[Row] = field(default_factory=list)
    """The first results that trip the gate (the count is in `tripped`)."""
    tripped: int = 0

    def add(self, findings: Iterable[Finding], gate: Gate | None) -> None:
        for finding in findings:
            self.resources.add(finding.resource.arn)
            if not finding.active:
                self.archived += 1
                continue
            self.by_status[finding.status.value] += 1
            self.by_severity[finding.severity.value] += 1
            self.by_status_and_severity[(finding.status.value, finding.severity.value)] += 1
            self.exempted += finding.exempted
            if gate is not None and gate.trips(finding):
                self.tripped += 1
                if len(self.tripping) < GATE_EXAMPLES:
                    self.tripping.append(row(finding))

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclass(frozen=True)
class Gate:
    """`--fail-on SEV`: a FAILED result at or above SEV trips it, and so does a NOT_AVAILABLE one (it could
    be failing) unless `--allow-unknown`; an exempted failure never does. A `--resource` that does not exist
    trips it too (`Tally.missing_resources`)."""

    threshold: Severity
    allow_unknown: bool = False

    def trips(self, finding: Finding) -> bool:
        if not finding.active or finding.exempted or finding.severity.rank < self.threshold.rank:
            return False
        return finding.status is Status.FAILED or (finding.status is Status.NOT_AVAILABLE and not self.allow_unknown)


def gate_message(tally: Tally, gate: Gate | None) -> list[str]:
    """Why the command exits 1 (nothing when it does not)."""
    lines = [f"{arn}: no such resource (or not visible to these credentials)" for arn in tally.missing_resources]
    if gate is not None and tally.tripped:
        unknown = "" if gate.allow_unknown else " or could not be judged (NOT_AVAILABLE; --allow-unknown ignores them)"
        lines.append(f"{tally.tripped} results at or above {gate.threshold.value} failed{unknown}:")
        lines += [f"  {r.control_id} {r.status.value} {r.severity.value} {r.resource}" for r in tally.tripping]
        if tally.tripped > len(tally.tripping):
            lines.append(f"  ... and {tally.tripped - len(tally.tripping)} more")
    return lines


def counts_by_severity(counter: Counter[str]) -> dict[str, int]:
    return {s.value: counter.get(s.value, 0) for s in SEVERITIES}


def statuses() -> Sequence[str]:
    return [s.value for s in Status]


def product_version() -> str:
    """The installed provenance-guard package's version ("0+unknown" when run from a bare checkout)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("provenance-guard")
    except PackageNotFoundError:
        return "0+unknown"

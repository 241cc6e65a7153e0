"""An image's latest vulnerability scan: ECR basic scanning (`DescribeImageScanFindings`) or Amazon
Inspector (`inspector2:ListFindings` filtered to the image digest), whichever the registry's scanning
configuration applies to the repository. Only what PG.ECR.5 and PG.ECR.6 judge is kept: the scan
status, counts per severity and the worst findings with their fix availability."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from provenance_guard.clients import ClientFactory

BASIC = "ECR basic scanning"
INSPECTOR = "Amazon Inspector"
DESCRIBE_SCAN_FINDINGS = "ecr:DescribeImageScanFindings"
LIST_INSPECTOR_FINDINGS = "inspector2:ListFindings"
COMPLETED_STATUSES = frozenset({"COMPLETE", "ACTIVE"})
"""ACTIVE: Inspector monitors the image continuously and its findings are current."""
SEVERITY_ORDER = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNTRIAGED", "UNDEFINED")
WORST_KEPT = 20
MAX_PAGES = 20


@dataclass(frozen=True)
class Vulnerability:
    id: str
    severity: str
    package: str
    """`name version` of the vulnerable package(s), `-` when the scanner names none."""
    fix: str
    """`fixed in <version>`, `no fix`, `partial fix`, or `fix unknown` (basic scanning does not say)."""
    score: float | None = None

    def sort_key(self) -> tuple[int, float, str]:
        rank = SEVERITY_ORDER.index(self.severity) if self.severity in SEVERITY_ORDER else len(SEVERITY_ORDER)
        return rank, -(self.score or 0.0), self.id


@dataclass(frozen=True)
class ScanResult:
    source: str
    """BASIC or INSPECTOR."""
    status: str | None
    """The scan status ECR reports for the image (COMPLETE, ACTIVE, FAILED, ...); None: never scanned."""
    description: str | None = None
    completed_at: datetime | None = None
    counts: Mapping[str, int] = field(default_factory=dict)
    worst: tuple[Vulnerability, ...] = ()
    """The worst findings first (at most `WORST_KEPT`)."""
    total: int = 0
    fixable: int = 0
    """Findings with a fix available (Inspector only; 0 for basic scanning)."""
    truncated: bool = False
    """More findings exist than were read: counts are lower bounds."""

    @property
    def completed(self) -> bool:
        return self.status in COMPLETED_STATUSES


class ScanReader:
    def __init__(self, clients: ClientFactory) -> None:
        self._clients = clients

    def basic(self, region: str, repository: str, digest: str, status: Mapping[str, Any]) -> ScanResult:
        code = status.get("status")
        if code not in COMPLETED_STATUSES:
            return ScanResult(BASIC, code, status.get("description"))
        ecr = self._clients.client("ecr", region)
        findings: list[Mapping[str, Any]] = []
        counts: Mapping[str, int] = {}
        completed = None
        token = None
        for _ in range(MAX_PAGES):
            request: dict[str, Any] = {"repositoryName": repository, "imageId": {"imageDigest": digest}}
            if token:
                request["nextToken"] = token
            page = ecr.describe_image_scan_findings(maxResults=1000, **request)
            scan = page.get("imageScanFindings") or {}
            counts = counts or {str(k): int(v) for k, v in (scan.get("findingSeverityCounts") or {}).items()}
            completed = completed or scan.get("imageScanCompletedAt")
            findings.extend(scan.get("findings") or [])
            token = page.get("nextToken")
            if not token:
                break
        worst = sorted((_basic_vulnerability(f) for f in findings), key=Vulnerability.sort_key)
        return ScanResult(
            BASIC,
            code,
            status.get("description"),
            completed if isinstance(completed, datetime) else None,
            counts,
            tuple(worst[:WORST_KEPT]),
            total=sum(counts.values()),
            truncated=bool(token),
        )

    def inspector(
        self, region: str, account: str, repository: str, digest: str, status: Mapping[str, Any]
    ) -> ScanResult:
        code = status.get("status")
        if code not in COMPLETED_STATUSES:
            return ScanResult(INSPECTOR, code, status.get("description"))
        inspector = self._clients.client("inspector2", region)
        criteria = {
            "awsAccountId": [{"comparison": "EQUALS", "value": account}],
            "ecrImageRepositoryName": [{"comparison": "EQUALS", "value": repository}],
            "ecrImageHash": [{"comparison": "EQUALS", "value": digest}],
            "findingStatus": [{"comparison": "EQUALS", "value": "ACTIVE"}],
        }
        findings: list[Mapping[str, Any]] = []
        token = None
        for _ in range(MAX_PAGES):
            request: dict[str, Any] = {"filterCriteria": criteria, "maxResults": 100}
            if token:
                request["nextToken"] = token
            page = inspector.list_findings(**request)
            findings.extend(page.get("findings") or [])
            token = page.get("nextToken")
            if not token:
                break
        counts: dict[str, int] = {}
        for finding in findings:
            severity = str(finding.get("severity", "UNTRIAGED"))
            counts[severity] = counts.get(severity, 0) + 1
        worst = sorted((_inspector_vulnerability(f) for f in findings), key=Vulnerability.sort_key)
        return ScanResult(
            INSPECTOR,
            code,
            status.get("description"),
            None,
            counts,
            tuple(worst[:WORST_KEPT]),
            total=len(findings),
            fixable=sum(1 for f in findings if f.get("fixAvailable") in ("YES", "PARTIAL")),
            truncated=bool(token),
        )


def _basic_vulnerability(finding: Mapping[str, Any]) -> Vulnerability:
    attributes = {a.get("key"): a.get("value") for a in finding.get("attributes") or []}
    package = " ".join(p for p in (attributes.get("package_name"), attributes.get("package_version")) if p) or "-"
    score = attributes.get("CVSS3_SCORE") or attributes.get("CVSS2_SCORE")
    return Vulnerability(
        id=str(finding.get("name", "?")),
        severity=str(finding.get("severity", "UNDEFINED")),
        package=package,
        fix="fix unknown",
        score=_float(score),
    )


def _inspector_vulnerability(finding: Mapping[str, Any]) -> Vulnerability:
    details = finding.get("packageVulnerabilityDetails") or {}
    packages = details.get("vulnerablePackages") or []
    package = ", ".join(f"{p.get('name', '?')} {p.get('version', '')}".strip() for p in packages[:3]) or "-"
    fixed = sorted({str(p["fixedInVersion"]) for p in packages if p.get("fixedInVersion")})
    available = finding.get("fixAvailable")
    if available == "YES" and fixed:
        fix = f"fixed in {', '.join(fixed[:2])}"
    elif available == "YES":
        fix = "fix available"
    elif available == "PARTIAL":
        fix = "partial fix"
    elif available == "NO":
        fix = "no fix"
    else:
        fix = "fix unknown"
    return Vulnerability(
        id=str(details.get("vulnerabilityId") or finding.get("title", "?")),
        severity=str(finding.get("severity", "UNTRIAGED")),
        package=package,
        fix=fix,
        score=_float(finding.get("inspectorScore")),
    )


def _float(value: object) -> float | None:
    try:
        return float(value) if value is not None else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None

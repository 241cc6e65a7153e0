"""What the emulated scanners find: ECR basic scanning and Amazon Inspector, driven by the registry's
scanning configuration, as ECR applies it.

Which scanner covers an image is decided the way ECR does: under ENHANCED scanning, Amazon Inspector
scans the repositories a SCAN_ON_PUSH or CONTINUOUS_SCAN rule matches (status ``ACTIVE`` under
continuous scanning, ``COMPLETE`` for scan on push) and nothing else is scanned; under BASIC scanning,
an image is scanned when it was pushed into a repository covered by a rule or by its own
``scanOnPush``, or when ``StartImageScan`` was called. Image indexes and referrers (signatures, SBOMs)
are never scanned.

*What* a scan finds cannot be derived (the emulator has no vulnerability database), so it is planned
per image digest, in-process with :func:`plan_scan` or over HTTP at :data:`SCANS_PATH` (``POST`` a JSON
object with ``repositoryName``, ``imageDigest``, optional ``region`` (default us-east-1), ``account``
(default moto's), ``status`` (default: the scan completes), ``description``, ``vulnerabilities``
(``[{"id", "severity", "package", "version", "fixedIn"?, "score"?, "status"? ACTIVE|CLOSED}]``) and
``pushedAt`` (ISO-8601: the push time ECR reports, for images older than the emulator)). A plan may be
made before or after the push, and re-planned (a closed vulnerability, a finished scan). Plans live in
the ECR backend, so moto's reset forgets them. Without a plan, a covered image's scan completes clean.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ecr.models import ECRBackend, Image, ecr_backends
from moto.moto_api._internal import urls as moto_api_urls

from .patches import add_url_path

SCANS_PATH = "/moto-api/provenance-guard/ecr/scans"
INDEX_TYPES = frozenset(
    {"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"}
)
IMAGE_CONFIG_TYPES = frozenset(
    {"application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json"}
)
SEVERITIES = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL", "UNDEFINED", "UNTRIAGED")
FREQUENCY_RANK = {"MANUAL": 0, "SCAN_ON_PUSH": 1, "CONTINUOUS_SCAN": 2}


@dataclass
class Vulnerability:
    id: str
    severity: str
    package: str
    version: str
    fixed_in: str | None = None
    score: float | None = None
    status: str = "ACTIVE"


@dataclass
class ScanPlan:
    status: str | None = None
    description: str | None = None
    vulnerabilities: list[Vulnerability] = field(default_factory=list)
    pushed_at: datetime | None = None


@dataclass(frozen=True)
class ScanState:
    scanner: str
    """``BASIC`` or ``ENHANCED``."""
    status: str
    description: str
    vulnerabilities: tuple[Vulnerability, ...]
    """Every vulnerability, closed ones included (each API decides what it shows)."""


def plan_scan(
    repository: str,
    digest: str,
    *,
    region: str = "us-east-1",
    account: str = DEFAULT_ACCOUNT_ID,
    status: str | None = None,
    description: str | None = None,
    vulnerabilities: list[dict[str, Any]] | None = None,
    pushed_at: datetime | None = None,
) -> None:
    """Decide what scanning the image finds (see the module docstring)."""
    for i, item in enumerate(vulnerabilities or []):
        if item.get("severity") not in SEVERITIES or not item.get("id"):
            raise ValueError(f"vulnerabilities[{i}] needs an id and a severity in {SEVERITIES}")
    plans(ecr_backends[account][region])[(repository, digest)] = ScanPlan(
        status=status,
        description=description,
        vulnerabilities=[
            Vulnerability(
                id=str(v["id"]),
                severity=str(v["severity"]),
                package=str(v.get("package", "unknown")),
                version=str(v.get("version", "0")),
                fixed_in=v.get("fixedIn"),
                score=float(v["score"]) if v.get("score") is not None else None,
                status=str(v.get("status", "ACTIVE")),
            )
            for v in vulnerabilities or []
        ],
        pushed_at=pushed_at,
    )


def plans(backend: ECRBackend) -> dict[tuple[str, str], ScanPlan]:
    found: dict[tuple[str, str], ScanPlan] = backend.__dict__.setdefault("provenance_guard_scan_plans", {})
    return found


def plan_for(backend: ECRBackend, repository: str, image: Image) -> ScanPlan:
    return plans(backend).get((repository, image.get_image_digest()), ScanPlan())


def image_kind(image: Image) -> str:
    """``index``, ``artifact`` (has a subject, or a non-image config) or ``image``."""
    if image.image_manifest_media_type in INDEX_TYPES:
        return "index"
    document = _document(image)
    config: dict[str, Any] = document["config"] if isinstance(document.get("config"), dict) else {}
    if document.get("subject") or document.get("artifactType") or config.get("mediaType") not in IMAGE_CONFIG_TYPES:
        return "artifact"
    return "image"


def registry_coverage(backend: ECRBackend, repository: str) -> str | None:
    """The strongest registry rule frequency matching the repository (WILDCARD filters), or None."""
    matched = [
        str(rule.get("scanFrequency"))
        for rule in backend.registry_scanning_configuration.get("rules", [])
        for f in rule.get("repositoryFilters", [])
        if fnmatchcase(repository, str(f.get("filter", "")))
    ]
    return max(matched, key=lambda frequency: FREQUENCY_RANK.get(frequency, -1), default=None)


def basic_scan_on_push(backend: ECRBackend, repository: str) -> bool:
    """Whether ECR's basic scanner scans an image pushed now into `repository`."""
    if backend.registry_scanning_configuration.get("scanType") != "BASIC":
        return False
    frequency = registry_coverage(backend, repository)
    if frequency in ("SCAN_ON_PUSH", "CONTINUOUS_SCAN"):
        return True
    repo = backend.repositories.get(repository)
    configuration: Any = repo.image_scanning_configuration if repo else None
    return isinstance(configuration, dict) and bool(configuration.get("scanOnPush"))


def scan_state(backend: ECRBackend, repository: str, image: Image) -> ScanState | None:
    """The image's scan as ECR reports it now, or None when no scanner has looked at it."""
    if image_kind(image) != "image":
        return None
    plan = plan_for(backend, repository, image)
    frequency = registry_coverage(backend, repository)
    enhanced = backend.registry_scanning_configuration.get("scanType") == "ENHANCED"
    if enhanced and frequency in ("SCAN_ON_PUSH", "CONTINUOUS_SCAN"):
        done = "ACTIVE" if frequency == "CONTINUOUS_SCAN" else "COMPLETE"
        scanner = "ENHANCED"
    elif not enhanced and (getattr(image, "provenance_guard_scanned", False) or image.last_scan):
        done, scanner = "COMPLETE", "BASIC"
    else:
        return None
    status = plan.status or done
    description = plan.description or (
        "The scan was completed successfully." if status in ("COMPLETE", "ACTIVE") else f"Scan status {status}."
    )
    return ScanState(scanner, status, description, tuple(plan.vulnerabilities))


def counts(vulnerabilities: tuple[Vulnerability, ...]) -> dict[str, int]:
    found: dict[str, int] = {}
    for vulnerability in vulnerabilities:
        if vulnerability.status == "ACTIVE":
            found[vulnerability.severity] = found.get(vulnerability.severity, 0) + 1
    return found


def pushed_at(backend: ECRBackend, repository: str, image: Image) -> datetime:
    plan = plan_for(backend, repository, image)
    if plan.pushed_at is not None:
        return plan.pushed_at
    from datetime import UTC

    return datetime.fromtimestamp(image.image_pushed_at, UTC)


def _document(image: Image) -> dict[str, Any]:
    try:
        document = json.loads(image.image_manifest)
    except (TypeError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def scans_endpoint(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    json_headers = {"Content-Type": "application/json"}
    if request.method != "POST":
        return 405, json_headers, json.dumps({"error": "POST a scan plan"})
    try:
        spec = json.loads(request.data or b"{}")
        pushed = spec.get("pushedAt")
        plan_scan(
            str(spec["repositoryName"]),
            str(spec["imageDigest"]),
            region=str(spec.get("region", "us-east-1")),
            account=str(spec.get("account", DEFAULT_ACCOUNT_ID)),
            status=spec.get("status"),
            description=spec.get("description"),
            vulnerabilities=spec.get("vulnerabilities"),
            pushed_at=datetime.fromisoformat(pushed.replace("Z", "+00:00")) if pushed else None,
        )
    except (KeyError, TypeError, ValueError) as error:
        return 400, json_headers, json.dumps({"error": f"invalid scan plan: {error!r}"})
    return 200, json_headers, json.dumps({"planned": True})


def install() -> None:
    add_url_path(moto_api_urls.url_paths, "{0}" + SCANS_PATH + "$", scans_endpoint)

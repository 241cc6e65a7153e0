"""Container-image scan results and freshness (CONTROLS.md §1, PG.ECR.5-6).

One finding per image digest, never one per CVE: the counts per severity against
`container.vulnerability_thresholds`, and the worst findings with their fix availability as evidence.
Evidence names dates and counts, never ages, so an unchanged image keeps its fingerprint.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from provenance_guard.collect.ecr_image import READ_IMAGE
from provenance_guard.collect.ecr_image_model import ECR_IMAGE, EcrImageSnapshot
from provenance_guard.collect.ecr_scan import SEVERITY_ORDER, ScanResult
from provenance_guard.controls.ecr_image import summarise_platforms
from provenance_guard.controls.registry import EvaluationContext, registry
from provenance_guard.model import Reason, Severity, Verdict
from provenance_guard.policy import Policy

SCAN_GRACE = timedelta(hours=24)
"""How long after a push a missing or unfinished scan is still "pending" rather than missing."""
PENDING_STATUSES = frozenset({None, "IN_PROGRESS", "PENDING"})
WORST_SHOWN = 10
MAX_EVIDENCE = 1000


@registry.register(
    id="PG.ECR.5",
    title="Container images should have no more vulnerabilities than the policy's thresholds allow",
    severity=Severity.HIGH,
    resource_kind=ECR_IMAGE,
    remediation_text=(
        "Rebuild the image from an updated base image and upgrade the packages named in the evidence (worst "
        "first), push the new image and move workloads to it; then delete the vulnerable digest. Thresholds "
        "are container.vulnerability_thresholds."
    ),
    remediation_url="https://docs.aws.amazon.com/inspector/latest/user/scanning-ecr.html",
    permissions=READ_IMAGE,
    remediation_by_reason={
        "NO_COMPLETED_SCAN": "The image has no completed scan yet: see its PG.ECR.6 finding.",
    },
    nist=("RA-5", "SI-2"),
    cis=("7.4", "7.7"),
)
def vulnerabilities_within_thresholds(
    image: EcrImageSnapshot, policy: Policy, ctx: EvaluationContext
) -> Verdict | None:
    """The latest scan (ECR basic scanning or Amazon Inspector, whichever covers the repository) counts
    no more findings of each severity than container.vulnerability_thresholds allows. The finding's
    severity is the highest exceeded severity. An image index summarises its platform images."""
    if image.kind == "artifact":
        return None
    if image.kind == "index":
        return summarise_platforms("PG.ECR.5", image, policy, ctx, vulnerabilities_within_thresholds)
    thresholds = policy.container.vulnerability_thresholds
    scan = image.scan
    evidence = {
        "ScanSource": scan.source if scan else "-",
        "ScanStatus": (scan.status or "never scanned") if scan else "-",
        "Thresholds": ", ".join(f"{s.value}<={n}" for s, n in sorted(thresholds.items(), key=lambda i: -i[0].rank)),
    }
    if scan is None or not scan.completed:
        why = f"no completed scan (status {evidence['ScanStatus']}); see PG.ECR.6"
        return Verdict.not_available("PG.ECR.5", "NO_COMPLETED_SCAN", why, evidence)
    evidence.update(_scan_evidence(scan))
    exceeded = [
        (severity, scan.counts.get(severity.value, 0), limit)
        for severity, limit in thresholds.items()
        if scan.counts.get(severity.value, 0) > limit
    ]
    if not exceeded:
        return Verdict.passed("PG.ECR.5", f"{scan.total} findings, within every threshold", evidence)
    exceeded.sort(key=lambda e: -e[0].rank)
    bound = "at least " if scan.truncated else ""
    reasons = tuple(
        Reason(
            "THRESHOLD_EXCEEDED",
            f"{bound}{count} {severity.value} findings, more than the {limit} allowed "
            f"(container.vulnerability_thresholds.{severity.value})",
        )
        for severity, count, limit in exceeded
    )
    return Verdict.failed("PG.ECR.5", reasons, evidence, exceeded[0][0])


@registry.register(
    id="PG.ECR.6",
    title="Container images should have a completed scan and be younger than the maximum age",
    severity=Severity.MEDIUM,
    resource_kind=ECR_IMAGE,
    remediation_text=(
        "Rebuild and push images regularly instead of keeping old ones (container.max_age_days), and make sure "
        "a scanning rule covers the repository (PG.ECR.1); an image ECR cannot scan (UNSUPPORTED_IMAGE) needs a "
        "supported base image."
    ),
    remediation_url="https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-troubleshooting.html",
    permissions=READ_IMAGE,
    remediation_by_reason={
        "TOO_OLD": (
            "Rebuild and push the image regularly (container.max_age_days is the oldest an image may be), "
            "move workloads to the new digest, then delete this one."
        ),
        "NO_COMPLETED_SCAN": (
            "Make sure a scanning rule covers the repository (see PG.ECR.1) and scan the image: aws ecr "
            "start-image-scan, or wait for Amazon Inspector's enhanced scan."
        ),
        "SCAN_UNSUPPORTED_IMAGE": (
            "ECR cannot scan this image's operating system: rebuild it on a base image that ECR scanning supports."
        ),
        "SCAN_FAILED": (
            "The scan failed: start it again (aws ecr start-image-scan) and, if it keeps failing, read the "
            "scan status description in the reasons."
        ),
    },
    nist=("RA-5", "SI-2"),
    cis=("7.4", "7.5"),
)
def scanned_and_fresh(image: EcrImageSnapshot, policy: Policy, ctx: EvaluationContext) -> Verdict | None:
    """The image has a completed scan (not FAILED, UNSUPPORTED_IMAGE or another failure status, and
    not still missing a day after the push) and was pushed less than container.max_age_days ago. An
    image index is judged by its push date and its platform images' scans."""
    if image.kind == "artifact":
        return None
    max_age = policy.container.max_age_days
    evidence = {
        "PushedAt": image.pushed_at.isoformat() if image.pushed_at else "-",
        "MaxAgeDays": str(max_age),
    }
    failed: list[Reason] = []
    pending: list[Reason] = []
    if image.pushed_at is None:
        failed.append(Reason("UNKNOWN_AGE", "ECR reports no push time"))
    elif ctx.now - image.pushed_at >= timedelta(days=max_age):
        pushed = image.pushed_at.date().isoformat()
        failed.append(Reason("TOO_OLD", f"pushed {pushed}, more than container.max_age_days ({max_age}) ago"))
    if image.kind == "index":
        if not image.platforms:
            why = f"cannot be read: {image.oci_error}" if image.oci_error else "lists no platform image"
            pending.append(Reason("UNREADABLE" if image.oci_error else "NO_PLATFORMS", f"the image index {why}"))
        statuses = []
        for platform, child in image.platforms:
            if child is None:
                failed.append(Reason("PLATFORM_MISSING", f"{platform}: its image is not in the repository"))
                continue
            statuses.append(f"{platform}: {_status(child.scan)}")
            _judge_scan(child, ctx.now, failed, pending, prefix=f"{platform}: ")
        evidence["PlatformScans"] = "; ".join(statuses) or "none"
    else:
        evidence["ScanSource"] = image.scan.source if image.scan else "-"
        evidence["ScanStatus"] = _status(image.scan)
        _judge_scan(image, ctx.now, failed, pending, prefix="")
    if failed:
        return Verdict.failed("PG.ECR.6", tuple(failed), evidence)
    if pending:
        return Verdict.not_available("PG.ECR.6", pending[0].code, pending[0].description, evidence)
    return Verdict.passed("PG.ECR.6", f"scanned, and pushed less than {max_age} days ago", evidence)


def _judge_scan(
    image: EcrImageSnapshot, now: datetime, failed: list[Reason], pending: list[Reason], prefix: str
) -> None:
    scan = image.scan
    status = scan.status if scan else None
    if scan is not None and scan.completed:
        return
    if status in PENDING_STATUSES:
        waited = image.pushed_at is None or now - image.pushed_at >= SCAN_GRACE
        what = "no scan" if status is None else f"the scan is still {status}"
        if waited:
            failed.append(Reason("NO_COMPLETED_SCAN", f"{prefix}{what} a day or more after the push"))
        else:
            pending.append(Reason("SCAN_PENDING", f"{prefix}{what} yet (pushed less than a day ago)"))
        return
    description = f": {scan.description}" if scan and scan.description else ""
    failed.append(Reason(f"SCAN_{status}", f"{prefix}scan status {status}{description}"))


def _status(scan: ScanResult | None) -> str:
    return (scan.status or "never scanned") if scan else "-"


def _scan_evidence(scan: ScanResult) -> dict[str, str]:
    severities = [s for s in SEVERITY_ORDER if s in scan.counts or s in ("CRITICAL", "HIGH", "MEDIUM", "LOW")]
    worst = "; ".join(f"{v.id} {v.severity} {v.package} ({v.fix})" for v in scan.worst[:WORST_SHOWN])
    if len(worst) > MAX_EVIDENCE:
        worst = worst[: MAX_EVIDENCE - 1] + "…"
    evidence = {
        "Counts": ", ".join(f"{s}={scan.counts.get(s, 0)}" for s in severities),
        "TotalFindings": f"{scan.total}{'+' if scan.truncated else ''}",
        "WorstFindings": worst or "none",
    }
    if scan.source != "ECR basic scanning":
        evidence["FixAvailable"] = f"{scan.fixable} of {scan.total}"
    return evidence

"""Plain-text tables and JSON for the command line (no terminal library needed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from provenance_guard.asff import from_asff
from provenance_guard.findings import Finding
from provenance_guard.model import Status
from provenance_guard_cli.replay import EventResult

SEVERITY_ORDER = {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3, "INFORMATIONAL": 4}


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], max_width: int = 70) -> str:
    cells = [[str(c) if len(str(c)) <= max_width else str(c)[: max_width - 1] + "…" for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)), line]
    out += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(out)


def finding_row(finding: Finding) -> list[str]:
    reasons = [r.description for r in finding.reasons]
    if finding.exemption:
        reasons.append(f"exempted until {finding.exemption.expires.isoformat()}: {finding.exemption.reason}")
    status = finding.status.value
    return [
        finding.control_id,
        status if finding.active else f"{status} (archived)",
        finding.reported_severity.value,
        short_resource(finding.resource.arn),
        "; ".join(reasons),
    ]


def short_resource(arn: str) -> str:
    """`image/ami-…`, `instance/i-…`, `repository/team/app`, or `team/app@sha256:0123456789ab` for an image."""
    if ":repository/" in arn:
        path = arn.split(":repository/", 1)[1]
        repository, _, digest = path.partition("/sha256:")
        return f"{repository}@sha256:{digest[:12]}" if digest else f"repository/{repository}"
    return arn.rsplit(":", 1)[-1]


def findings_table(findings: Sequence[Finding]) -> str:
    ordered = sorted(
        findings,
        key=lambda f: (
            not f.active,
            f.status is not Status.FAILED,
            SEVERITY_ORDER.get(f.reported_severity.value, 9),
            f.resource.arn,
            f.control_id,
        ),
    )
    return table(["CONTROL", "STATUS", "SEVERITY", "RESOURCE", "WHY"], [finding_row(f) for f in ordered])


def event_summary(result: EventResult) -> str:
    functions = ", ".join(
        f"{i.function} (rule {i.rule}{', FAILED records: ' + str(i.failed_records) if i.failed_records else ''})"
        for i in result.invocations
    )
    lines = [
        f"== {result.label}  [{result.detail_type}]",
        f"   functions: {functions or 'none (no rule matched)'}",
    ]
    for finding in result.findings:
        control, status, severity, resource, _ = finding_row(from_asff(finding))
        lines.append(f"   finding: {control:<10} {status:<20} {severity:<13} {resource}")
    for notification in result.notifications:
        lines.append(f"   notified: {notification['subject']}")
    return "\n".join(lines)


def event_json(result: EventResult) -> dict[str, Any]:
    return {
        "event": result.label,
        "detail_type": result.detail_type,
        "functions": [
            {"function": i.function, "rule": i.rule, "failed_records": i.failed_records} for i in result.invocations
        ],
        "findings": result.findings,
        "notifications": result.notifications,
    }

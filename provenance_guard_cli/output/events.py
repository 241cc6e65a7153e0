"""Replayed events as the command line shows them (`replay`, `demo`): the functions each event ran, the
findings it produced and the notifications it sent; and as JSON (`replay --json`)."""

from __future__ import annotations

from typing import Any

from provenance_guard.asff import from_asff
from provenance_guard_cli.replay import EventResult
from provenance_guard_cli.report import row, short_resource


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
        shown = row(from_asff(finding))
        resource = short_resource(shown.resource)
        lines.append(
            f"   finding: {shown.control_id:<11} {shown.status_text:<20} {shown.severity.value:<13} {resource}"
        )
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

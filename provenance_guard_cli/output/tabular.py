"""`evaluate --output-format csv`: one row per finding, for spreadsheets and ticket imports. Lists (reasons,
requirements) are joined with "; " inside their cell; the header names every column."""

from __future__ import annotations

import csv
from typing import IO

from provenance_guard.findings import Finding, format_time
from provenance_guard_cli.report import Tally

COLUMNS = (
    "id",
    "control_id",
    "title",
    "status",
    "severity",
    "exempted",
    "exemption_reason",
    "exemption_expires",
    "record_state",
    "resource_arn",
    "resource_type",
    "account",
    "region",
    "reasons",
    "remediation",
    "remediation_url",
    "related_requirements",
    "updated_at",
)


def csv_row(finding: Finding) -> dict[str, str]:
    exemption = finding.exemption
    return {
        "id": finding.id,
        "control_id": finding.control_id,
        "title": finding.title,
        "status": finding.status.value,
        "severity": finding.severity.value,
        "exempted": "true" if exemption else "false",
        "exemption_reason": exemption.reason if exemption else "",
        "exemption_expires": exemption.expires.isoformat() if exemption else "",
        "record_state": finding.record_state.value,
        "resource_arn": finding.resource.arn,
        "resource_type": finding.resource.kind.asff_type,
        "account": finding.resource.account,
        "region": finding.resource.region,
        "reasons": "; ".join(f"{r.code}: {r.description}" for r in finding.reasons),
        "remediation": finding.remediation_text,
        "remediation_url": finding.remediation_url,
        "related_requirements": "; ".join(finding.related_requirements),
        "updated_at": format_time(finding.updated_at),
    }


class CsvWriter:
    def __init__(self, out: IO[str], tally: Tally) -> None:
        self._writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        self._writer.writeheader()

    def add(self, findings: list[Finding]) -> None:
        self._writer.writerows(csv_row(f) for f in findings)

    def close(self, tally: Tally) -> None:
        """Nothing to add: the summary is in the other formats."""

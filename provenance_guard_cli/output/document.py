"""`evaluate --output-format json`: one JSON document, versioned and described by a JSON Schema
(`provenance_guard_cli/schemas/evaluate-output.schema.json`, published as docs/schemas/), written as the
findings stream past: the run's metadata first, then the findings, then the summary.

`schema_version` follows semantic versioning: a new optional field is a minor version, a renamed or
removed field or a changed meaning a major one.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import IO, Any

from provenance_guard.findings import Finding, format_time
from provenance_guard_cli.report import SEVERITIES, Tally, counts_by_severity, statuses

SCHEMA_VERSION = "1.0.0"
SCHEMA_FILE = "evaluate-output.schema.json"
GENERATOR = "provenance-guard"


def schema() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        resources.files("provenance_guard_cli.schemas").joinpath(SCHEMA_FILE).read_text()
    )
    return document


def finding_document(finding: Finding) -> dict[str, Any]:
    """A finding as the JSON output describes it: every `Finding` field, named for a reader, not for ASFF."""
    ref = finding.resource
    exemption = finding.exemption
    return {
        "id": finding.id,
        "control_id": finding.control_id,
        "title": finding.title,
        "description": finding.description,
        "status": finding.status.value,
        "severity": finding.severity.value,
        "reported_severity": finding.reported_severity.value,
        "exempted": finding.exempted,
        "exemption": {"reason": exemption.reason, "expires": exemption.expires.isoformat()} if exemption else None,
        "record_state": finding.record_state.value,
        "resource": {
            "arn": ref.arn,
            "type": ref.kind.asff_type,
            "kind": ref.kind.value,
            "name": ref.name,
            "account": ref.account,
            "region": ref.region,
            "partition": ref.partition,
            "details": dict(finding.resource_details),
        },
        "reasons": [{"code": r.code, "description": r.description} for r in finding.reasons],
        "evidence": dict(finding.evidence),
        "remediation": {"text": finding.remediation_text, "url": finding.remediation_url},
        "related_requirements": list(finding.related_requirements),
        "created_at": format_time(finding.created_at),
        "updated_at": format_time(finding.updated_at),
        "first_observed_at": format_time(finding.first_observed_at),
        "last_observed_at": format_time(finding.last_observed_at),
    }


def summary_document(tally: Tally) -> dict[str, Any]:
    matrix = {
        status: {s.value: tally.by_status_and_severity.get((status, s.value), 0) for s in SEVERITIES}
        for status in statuses()
    }
    imported = tally.imported
    return {
        "total": tally.total,
        "resources": len(tally.resources),
        "by_status": {status: tally.by_status.get(status, 0) for status in statuses()},
        "by_severity": counts_by_severity(tally.by_severity),
        "by_status_and_severity": matrix,
        "exempted": tally.exempted,
        "archived": tally.archived,
        "missing_resources": list(tally.missing_resources),
        "import": None
        if imported is None
        else {"imported": imported.imported, "unchanged": imported.unchanged, "archived": imported.archived},
    }


class JsonWriter:
    """Writes the document to `out` as findings arrive; `close` adds the summary and the finish time."""

    def __init__(self, out: IO[str], tally: Tally) -> None:
        self._out = out
        self._first = True
        head = {
            "schema_version": SCHEMA_VERSION,
            "generator": GENERATOR,
            "account": tally.account,
            "regions": list(tally.regions),
            "policy": tally.policy,
            "started_at": format_time(tally.started_at),
        }
        self._out.write(json.dumps(head, indent=2)[:-2] + ',\n  "findings": [')

    def add(self, findings: list[Finding]) -> None:
        for finding in findings:
            text = json.dumps(finding_document(finding), indent=2).replace("\n", "\n    ")
            self._out.write(("\n    " if self._first else ",\n    ") + text)
            self._first = False

    def close(self, tally: Tally) -> None:
        finished = format_time(tally.finished_at) if tally.finished_at else None
        tail = json.dumps({"finished_at": finished, "summary": summary_document(tally)}, indent=2)
        self._out.write(("]" if self._first else "\n  ]") + ",\n" + tail[2:] + "\n")

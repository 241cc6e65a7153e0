"""`evaluate --output-format ocsf`: a JSON array of OCSF 1.8.0 Compliance Finding events (class_uid 2003,
category Findings, with the `cloud` profile), one per finding, for Security Lake, SIEMs and other OCSF
consumers. tests/fixtures/ocsf/ holds what the class requires, extracted from the OCSF schema.

Mapping: `compliance.status_id` Pass / Fail / Warning (NOT_AVAILABLE: "did not yield a result due to
missing information"); the finding's `status_id` New, Suppressed (an exempted failure: accepted, reason in
`unmapped.exemption`) or Archived; `activity_id` Create for a first observation, Update after it, Close when
archived; `severity_id` the result's own severity; `time` its last update.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import IO, Any

from provenance_guard.asff import FINDING_TYPE
from provenance_guard.controls.frameworks import FRAMEWORKS
from provenance_guard.findings import Finding
from provenance_guard.model import Severity, Status
from provenance_guard_cli.report import Tally

OCSF_VERSION = "1.8.0"
CATEGORY_UID = 2
CLASS_UID = 2003
SEVERITY_ID = {
    Severity.INFORMATIONAL: (1, "Informational"),
    Severity.LOW: (2, "Low"),
    Severity.MEDIUM: (3, "Medium"),
    Severity.HIGH: (4, "High"),
    Severity.CRITICAL: (5, "Critical"),
}
COMPLIANCE_STATUS = {Status.PASSED: (1, "Pass"), Status.NOT_AVAILABLE: (2, "Warning"), Status.FAILED: (3, "Fail")}
AWS_ACCOUNT = 10
"""`account.type_id` "AWS Account"."""


def millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def ocsf_finding(finding: Finding, product_version: str) -> dict[str, Any]:
    ref = finding.resource
    if not finding.active:
        activity, status = (3, "Close"), (5, "Archived")
    else:
        activity = (1, "Create") if finding.updated_at == finding.created_at else (2, "Update")
        status = (3, "Suppressed") if finding.exempted else (1, "New")
    severity_id, severity = SEVERITY_ID[finding.severity]
    compliance_id, compliance = COMPLIANCE_STATUS[finding.status]
    reasons = [r.description for r in finding.reasons]
    event: dict[str, Any] = {
        "activity_id": activity[0],
        "activity_name": activity[1],
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "type_uid": CLASS_UID * 100 + activity[0],
        "type_name": f"Compliance Finding: {activity[1]}",
        "severity_id": severity_id,
        "severity": severity,
        "status_id": status[0],
        "status": status[1],
        "time": millis(finding.updated_at),
        "message": f"{finding.control_id} {finding.status.value}: " + "; ".join(reasons),
        "metadata": {
            "version": OCSF_VERSION,
            "profiles": ["cloud"],
            "uid": f"{finding.id}@{millis(finding.updated_at)}",
            "product": {"name": "provenance-guard", "vendor_name": "provenance-guard", "version": product_version},
        },
        "cloud": {
            "provider": "AWS",
            "region": ref.region,
            "cloud_partition": ref.partition,
            "account": {"uid": ref.account, "type_id": AWS_ACCOUNT, "type": "AWS Account"},
        },
        "finding_info": {
            "uid": finding.id,
            "title": f"{finding.control_id} {finding.title}",
            "desc": finding.description,
            "types": [FINDING_TYPE],
            "created_time": millis(finding.created_at),
            "modified_time": millis(finding.updated_at),
            "first_seen_time": millis(finding.first_observed_at),
            "last_seen_time": millis(finding.last_observed_at),
        },
        "compliance": {
            "control": finding.control_id,
            "standards": _standards(finding.related_requirements),
            "requirements": list(finding.related_requirements),
            "status_id": compliance_id,
            "status": compliance,
            "status_code": finding.status.value,
            "status_details": reasons,
        },
        "remediation": {"desc": finding.remediation_text, "references": [finding.remediation_url]},
        "resources": [_resource(finding)],
        "unmapped": {"evidence": dict(finding.evidence)},
    }
    if finding.exemption:
        exemption = {"reason": finding.exemption.reason, "expires": finding.exemption.expires.isoformat()}
        event["unmapped"]["exemption"] = exemption
    return event


def _resource(finding: Finding) -> dict[str, Any]:
    ref = finding.resource
    resource: dict[str, Any] = {
        "uid": ref.arn,
        "name": ref.name,
        "type": ref.kind.asff_type,
        "region": ref.region,
        "cloud_partition": ref.partition,
    }
    if finding.resource_details:
        resource["data"] = dict(finding.resource_details)
    return resource


def _standards(requirements: tuple[str, ...]) -> list[str]:
    return [f.title for f in FRAMEWORKS if any(f.requirement_id(r) is not None for r in requirements)]


class OcsfWriter:
    """A JSON array of events, written as findings arrive."""

    def __init__(self, out: IO[str], tally: Tally, product_version: str) -> None:
        self._out = out
        self._version = product_version
        self._first = True
        out.write("[")

    def add(self, findings: list[Finding]) -> None:
        for finding in findings:
            self._out.write(("\n" if self._first else ",\n") + json.dumps(ocsf_finding(finding, self._version)))
            self._first = False

    def close(self, tally: Tally) -> None:
        self._out.write("]\n" if self._first else "\n]\n")
